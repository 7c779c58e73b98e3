import Foundation
import RuntimeCore

/// Agent ids as the API accepts them, and the object names derived from them.
///
/// An agent id is the last segment of the registry key (`<prefix>/services/agent/<agentId>`) and, in
/// local mode, part of a directory path, so anything that could address something else is refused:
/// `/`, `\`, `..`, whitespace, control characters, `%` (a pre-encoded path). Accepted: 1 to 253 of
/// `A-Z a-z 0-9 . _ : @ -`, starting and ending with a letter or digit.
///
/// Names (AgentSession and pod names in a cluster, directory names in local mode) must be DNS-1123
/// subdomains of at most 63 characters. An id that already is one is used as is (`team-a.fix-bug`);
/// any other is lowered, reduced to `[a-z0-9-]`, cut, and given an 8-digit hash of the whole id, so two
/// ids never share a name (`Team_A:bot` → `team-a-bot-1f3c9a0e`).
public enum AgentNames {
    /// Longest accepted agent id.
    public static let maxIdLength = 253
    /// Longest derived name.
    public static let maxNameLength = 63

    private static let idCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@-")

    /// Checks an agent id; the error says what is wrong with it (422).
    public static func validate(agentId id: String, field: String = "agentId") throws(APIError) {
        guard !id.isEmpty else { throw .invalid("\(field) must not be empty") }
        guard id.count <= maxIdLength else { throw .invalid("\(field) is \(id.count) characters; at most \(maxIdLength) are allowed") }
        if let bad = id.first(where: { !idCharacters.contains($0) }) {
            let shown = bad.isASCII && !bad.isWhitespace && bad.asciiValue.map({ $0 >= 0x20 && $0 < 0x7f }) == true
                ? "'\(bad)'" : "U+" + String(bad.unicodeScalars.first!.value, radix: 16, uppercase: true)
            throw .invalid("\(field) \(quoted(id)) contains \(shown); allowed are letters, digits and . _ : @ - (no path characters)")
        }
        guard !id.contains("..") else { throw .invalid("\(field) \(quoted(id)) must not contain '..'") }
        guard id.first!.isASCIIAlphanumeric, id.last!.isASCIIAlphanumeric else {
            throw .invalid("\(field) \(quoted(id)) must start and end with a letter or digit")
        }
    }

    /// The DNS-1123 name for an agent id (which must be valid).
    public static func name(for id: String) -> String {
        if isDNSSubdomain(id, maxLength: maxNameLength) { return id }
        var base = ""
        for c in id.lowercased() {
            let keep = c.isASCIIAlphanumeric
            if keep { base.append(c) } else if base.last != "-" { base.append("-") }
        }
        let hash = String(format: "%08x", UInt32(truncatingIfNeeded: fnv1a64(Data(id.utf8))))
        base = String(base.prefix(maxNameLength - hash.count - 1))
        while base.last == "-" { base.removeLast() }
        while base.first == "-" { base.removeFirst() }
        return base.isEmpty ? "agent-" + hash : base + "-" + hash
    }

    /// Whether `text` is a DNS-1123 subdomain no longer than `maxLength`.
    public static func isDNSSubdomain(_ text: String, maxLength: Int = 253) -> Bool {
        guard !text.isEmpty, text.count <= maxLength else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNSLabel(String($0)) }
    }

    /// Whether `text` is a DNS-1123 label (namespaces).
    public static func isDNSLabel(_ text: String) -> Bool {
        guard !text.isEmpty, text.count <= 63 else { return false }
        guard text.allSatisfy({ $0.isLowercaseASCIIAlphanumeric || $0 == "-" }) else { return false }
        return text.first!.isLowercaseASCIIAlphanumeric && text.last!.isLowercaseASCIIAlphanumeric
    }

    /// A value quoted for an error message, cut when long and with control characters escaped.
    static func quoted(_ text: String) -> String {
        var shown = String(text.prefix(80))
        if text.count > 80 { shown += "..." }
        return JSON.string(shown).serialized()
    }
}

extension Character {
    fileprivate var isASCIIAlphanumeric: Bool { isASCII && (isLetter || isNumber) }
    fileprivate var isLowercaseASCIIAlphanumeric: Bool { isASCII && (isLowercase || isNumber) }
}
