import Foundation

/// The field rules every door into the runtime applies the same way: `POST /spawn` (``SpawnRequest``, then
/// the backend) and admission of an AgentSession written with kubectl (``SessionPolicy``). Each returns a
/// sentence saying what is wrong, or nil.
///
/// Why one place: the API used to refuse 257 variables while a kubectl-made session with 5,000 became Ready,
/// and neither looked at image references at all.
public enum SpecRules {
    /// Most variables in `env` / `spec.env`.
    public static let maxEnv = 256
    /// Longest value of one variable (bytes).
    public static let maxEnvValueBytes = 32 * 1024
    /// Longest workdir.
    public static let maxWorkdirLength = 4096

    /// Variables the operator sets itself (CONTRACT.md §3); user env may not redefine them.
    public static let reservedEnv: Set<String> = [
        "AGENT_ID", "AGENT_NAME", "AGENT_TYPE", "AGENT_ROLE", "AGENT_CAPABILITIES", "MCP_SERVER_URL", "MCP_API_KEY",
        "RAVEN_WORKSPACE_ID", "RAVEN_EXECUTION_ID", "SUPERVISOR_TOKEN",
    ]

    /// Name prefixes refused in user env, and why. The agent's environment is also the environment of the
    /// supervisor process that holds its token (the pod's container env, local mode's spawn env), so
    /// nothing in it may reach the dynamic loader or look like the runtime's own settings.
    public static let reservedEnvPrefixes: [(prefix: String, reason: String)] = [
        ("AGENT_", "names starting with AGENT_ belong to the runtime"),
        ("SUPERVISOR_", "names starting with SUPERVISOR_ belong to the runtime"),
        ("LD_", "LD_* variables steer the dynamic loader of every process in the pod, the supervisor's included"),
    ]

    /// Other names refused for the same reason as `LD_*`.
    static let loaderEnv: Set<String> = ["GLIBC_TUNABLES"]

    /// What is wrong with a variable name, or nil. `setter` names who sets reserved variables in the message.
    public static func envNameProblem(_ name: String, setter: String = "the runtime") -> String? {
        guard isIdentifier(name) else { return "env name \(AgentNames.quoted(name)) must match [A-Za-z_][A-Za-z0-9_]*" }
        if reservedEnv.contains(name) { return "env \(name) is set by \(setter) and cannot be overridden" }
        if loaderEnv.contains(name) { return "env \(name) is refused: it steers the C library of every process in the pod" }
        for (prefix, reason) in reservedEnvPrefixes where name.hasPrefix(prefix) {
            return "env \(name) is refused: \(reason)"
        }
        return nil
    }

    /// Every problem of an env list (names, count, duplicates, literal values), in order.
    public static func envProblems(_ vars: [(name: String, value: String?)], setter: String = "the runtime") -> [String] {
        var problems: [String] = []
        if vars.count > maxEnv { problems.append("env has \(vars.count) variables; at most \(maxEnv) are allowed") }
        var seen = Set<String>()
        for (name, value) in vars {
            if let p = envNameProblem(name, setter: setter) { problems.append(p); continue }
            if !seen.insert(name).inserted { problems.append("env \(name) is given twice") }
            if let value, value.utf8.count > maxEnvValueBytes || value.contains("\0") {
                problems.append("env \(name) must be at most \(maxEnvValueBytes / 1024) KiB without NUL")
            }
        }
        return problems
    }

    /// What is wrong with a workdir, or nil. `absolute`: a cluster path (the CLI's directory in its container);
    /// local mode also takes paths relative to the agent's workspace.
    public static func workdirProblem(_ w: String, absolute: Bool) -> String? {
        if w.contains("\0") { return "workdir must not contain a NUL character" }
        if w.count > maxWorkdirLength { return "workdir is \(w.count) characters; at most \(maxWorkdirLength) are allowed" }
        if w.split(separator: "/").contains("..") { return "workdir \(AgentNames.quoted(w)) must not contain '..'" }
        if absolute, !w.hasPrefix("/") { return "workdir \(AgentNames.quoted(w)) must be an absolute path" }
        return nil
    }

    /// What is wrong with an image reference, or nil: the grammar of the distribution reference that the
    /// kubelet parses before it pulls (`[host[:port]/]path[:tag][@digest]`, lower-case path components,
    /// names up to 255 characters). The API server itself only refuses surrounding whitespace, so without
    /// this a bad reference would surface only as the pod's `InvalidImageName`.
    public static func imageProblem(_ image: String) -> String? {
        let quoted = AgentNames.quoted(image)
        guard !image.isEmpty else { return "image must not be empty" }
        if image.trimmingCharacters(in: .whitespacesAndNewlines) != image { return "image \(quoted) must not have surrounding whitespace" }
        var rest = Substring(image)
        if let at = rest.firstIndex(of: "@") {
            guard isDigest(rest[rest.index(after: at)...]) else {
                return "image \(quoted) has an invalid digest (algorithm:hex, at least 32 hex digits)"
            }
            rest = rest[..<at]
        }
        // A tag follows the last ':' after the last '/' (a ':' before it is the registry's port).
        let lastSlash = rest.lastIndex(of: "/") ?? rest.startIndex
        if let colon = rest[lastSlash...].lastIndex(of: ":") {
            let tag = rest[rest.index(after: colon)...]
            guard isTag(tag) else { return "image \(quoted) has an invalid tag (letters, digits, '_', '.', '-'; at most 128)" }
            rest = rest[..<colon]
        }
        guard rest.count <= 255 else { return "image \(quoted): the repository name is longer than 255 characters" }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false)
        if components.count > 1, let first = components.first, isDomain(first) {
            components.removeFirst()
        }
        guard !components.isEmpty, components.allSatisfy(isPathComponent) else {
            return "image \(quoted) is not a valid reference: repository path components are lower-case letters and digits "
                + "separated by '.', '_', '__' or '-' ([registry[:port]/]path[:tag][@digest])"
        }
        return nil
    }

    // MARK: Grammar pieces

    static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.first, first == "_" || (first.isASCII && first.isLetter), s.count <= 256 else { return false }
        return s.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }

    private static func isLowerAlnum(_ c: Character) -> Bool { c.isASCII && (c.isLowercase || c.isNumber) }

    /// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
    static func isPathComponent(_ s: Substring) -> Bool {
        guard let first = s.first, let last = s.last, isLowerAlnum(first), isLowerAlnum(last) else { return false }
        var separator = ""
        for c in s {
            if isLowerAlnum(c) {
                guard separator.isEmpty || separator == "." || separator == "_" || separator == "__" || separator.allSatisfy({ $0 == "-" })
                else { return false }
                separator = ""
            } else if c == "." || c == "_" || c == "-" {
                separator.append(c)
            } else {
                return false
            }
        }
        return true
    }

    /// The first component names a registry when it has a '.' or a ':' or is `localhost` (as Docker decides).
    static func isDomain(_ s: Substring) -> Bool {
        guard s.contains(".") || s.contains(":") || s == "localhost" || s.contains(where: \.isUppercase) else { return false }
        var host = s
        if let colon = s.lastIndex(of: ":"), !s.hasPrefix("[") || s[..<colon].hasSuffix("]") {
            let port = s[s.index(after: colon)...]
            guard !port.isEmpty, port.allSatisfy(\.isNumber) else { return false }
            host = s[..<colon]
        }
        if host.hasPrefix("["), host.hasSuffix("]") {
            return host.dropFirst().dropLast().allSatisfy { $0.isHexDigit || $0 == ":" }
        }
        return !host.isEmpty && host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            guard let f = label.first, let l = label.last, f.isASCII, l.isASCII, f.isLetter || f.isNumber, l.isLetter || l.isNumber
            else { return false }
            return label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }

    /// `[\w][\w.-]{0,127}`
    static func isTag(_ s: Substring) -> Bool {
        guard let first = s.first, s.count <= 128, first.isASCII, first.isLetter || first.isNumber || first == "_" else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-") }
    }

    /// `algorithm:hex` with an algorithm of letters and digits joined by `+.-_`, and 32 or more hex digits.
    static func isDigest(_ s: Substring) -> Bool {
        guard let colon = s.firstIndex(of: ":") else { return false }
        let algorithm = s[..<colon], hex = s[s.index(after: colon)...]
        guard hex.count >= 32, hex.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { return false }
        let parts = algorithm.split(omittingEmptySubsequences: false, whereSeparator: { "+.-_".contains($0) })
        return parts.allSatisfy { part in
            guard let f = part.first, f.isASCII, f.isLetter else { return false }
            return part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        }
    }
}
