import Foundation
import RuntimeCore
import Synchronization

/// `--audit-log FILE`: one JSON line per API request, with the attributes RBAC authorizes on
/// (verb, group, resource, subresource, namespace) plus name and User-Agent.
///
/// It exists so a test can collect the calls a client really makes and compare them with the RBAC rules
/// granted to it (the chart's RBAC test). Lines are written at request time, before the request is
/// served, like the apiserver's `RequestReceived` audit stage: RBAC decides on the request, not its outcome.
final class AuditLog: Sendable {
    private let handle: Mutex<FileHandle>

    /// Opens `path` for appending (created 0600 when missing).
    init(path: String) throws(UsageError) {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw UsageError("--audit-log: cannot create \(path)")
            }
        }
        guard let h = FileHandle(forWritingAtPath: path) else { throw UsageError("--audit-log: cannot open \(path)") }
        h.seekToEndOfFile()
        handle = Mutex(h)
    }

    /// The RBAC verb of a request, as the apiserver's request-info resolver names it.
    static func verb(method: String, hasName: Bool, isWatch: Bool) -> String {
        switch method {
        case "GET", "HEAD": return isWatch ? "watch" : (hasName ? "get" : "list")
        case "POST": return "create"
        case "PUT": return "update"
        case "PATCH": return "patch"
        case "DELETE": return hasName ? "delete" : "deletecollection"
        default: return method.lowercased()
        }
    }

    /// Appends one line for a resource request.
    func record(_ req: HTTPRequest, _ p: ResourcePath, isWatch: Bool) {
        var line: [String: JSON] = [
            "verb": .string(Self.verb(method: req.method, hasName: p.name != nil, isWatch: isWatch)),
            "group": .string(p.resource.group),
            "resource": .string(p.resource.plural),
            "userAgent": .string(req.header("user-agent") ?? ""),
            "time": .string(Timestamp.iso8601(Date())),
        ]
        if let s = p.subresource { line["subresource"] = .string(s) }
        if let ns = p.namespace { line["namespace"] = .string(ns) }
        if let n = p.name { line["name"] = .string(n) }
        let data = Data((JSON.object(line).serialized() + "\n").utf8)
        handle.withLock { $0.write(data) }
    }

    /// Closes the file.
    func close() { handle.withLock { try? $0.close() } }
}
