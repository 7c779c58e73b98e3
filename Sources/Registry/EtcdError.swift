import Foundation
import RuntimeCore

/// Every failure of an ``EtcdClient`` call, with a one-line description.
///
/// etcd's JSON gateway answers failures with a gRPC status (`{"error": ..., "message": ..., "code": N}`);
/// the common ones get their own case so callers can match on meaning instead of numbers.
public enum EtcdError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No endpoint could be reached; `reason` is the last transport failure.
    case unavailable(endpoints: [String], reason: String)
    /// The request did not finish within its per-request timeout.
    case timedOut(endpoint: String, path: String)
    /// TLS setup or certificate verification failed (not retried: it will not heal by itself).
    case tls(endpoint: String, reason: String)
    /// Username/password authentication failed, or the server rejected our token after a refresh.
    case authenticationFailed(String)
    /// The authenticated user lacks permission for the key or operation.
    case permissionDenied(String)
    /// The lease does not exist (expired, revoked, or never granted on this cluster).
    case leaseNotFound(Int64)
    /// The requested revision has been compacted; everything at or below `compactRevision` is gone.
    case compacted(compactRevision: Int64)
    /// etcd answered with another gRPC status.
    case server(code: Int, message: String, httpStatus: Int)
    /// The answer was not what the gateway documents.
    case invalidResponse(String)
    /// The client configuration cannot work (no endpoints, malformed URL, unreadable password file).
    case invalidConfiguration(String)
    /// The calling task was cancelled.
    case cancelled

    /// One line, prefixed with `etcd`, e.g. `etcd unavailable (http://127.0.0.1:2379): connection failed: ...`.
    public var description: String {
        switch self {
        case .unavailable(let endpoints, let reason):
            return "etcd unavailable (\(endpoints.joined(separator: ","))): \(reason)"
        case .timedOut(let endpoint, let path): return "etcd request \(path) to \(endpoint) timed out"
        case .tls(let endpoint, let reason): return "etcd TLS error with \(endpoint): \(reason)"
        case .authenticationFailed(let m): return "etcd authentication failed: \(m)"
        case .permissionDenied(let m): return "etcd permission denied: \(m)"
        case .leaseNotFound(let id): return "etcd lease \(id) (\(String(id, radix: 16))) not found"
        case .compacted(let rev): return "etcd revision compacted (compact revision \(rev))"
        case .server(let code, let message, let status):
            return "etcd error \(code) (\(grpcCodeName(code)), HTTP \(status)): \(message)"
        case .invalidResponse(let m): return "etcd response not understood: \(m)"
        case .invalidConfiguration(let m): return "etcd client configuration: \(m)"
        case .cancelled: return "etcd request cancelled"
        }
    }

    /// True when the same request may succeed later: the cluster was unreachable, slow or leaderless.
    public var isTransient: Bool {
        switch self {
        case .unavailable, .timedOut: return true
        case .server(let code, _, _): return code == GRPCCode.unavailable || code == GRPCCode.deadlineExceeded
            || code == GRPCCode.aborted || code == GRPCCode.resourceExhausted || code == GRPCCode.unknown
            || code == GRPCCode.internalError
        default: return false
        }
    }

    /// Maps a gateway error body (`{"error","message","code"}`) and HTTP status to a case.
    static func fromGateway(status: Int, body: Data) -> EtcdError {
        let json = (try? JSON.parse(body)) ?? .null
        let message = json["message"].stringValue ?? json["error"].stringValue
            ?? String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let code = Int(json["code"].intValue ?? Int64(GRPCCode.fromHTTP(status)))
        switch code {
        case GRPCCode.unauthenticated: return .authenticationFailed(message)
        case GRPCCode.permissionDenied: return .permissionDenied(message)
        case GRPCCode.outOfRange where message.contains("compacted"): return .compacted(compactRevision: 0)
        default:
            if message.contains("authentication failed") || message.contains("user name is empty") {
                return .authenticationFailed(message)
            }
            return .server(code: code, message: message, httpStatus: status)
        }
    }
}

/// gRPC status codes as etcd reports them through the gateway.
enum GRPCCode {
    static let cancelled = 1
    static let unknown = 2
    static let invalidArgument = 3
    static let deadlineExceeded = 4
    static let notFound = 5
    static let alreadyExists = 6
    static let permissionDenied = 7
    static let resourceExhausted = 8
    static let failedPrecondition = 9
    static let aborted = 10
    static let outOfRange = 11
    static let internalError = 13
    static let unavailable = 14
    static let unauthenticated = 16

    /// The gateway's HTTP status mapping reversed, for error bodies without a code.
    static func fromHTTP(_ status: Int) -> Int {
        switch status {
        case 400: return invalidArgument
        case 401: return unauthenticated
        case 403: return permissionDenied
        case 404: return notFound
        case 409: return aborted
        case 412: return failedPrecondition
        case 429: return resourceExhausted
        case 503: return unavailable
        case 504: return deadlineExceeded
        default: return unknown
        }
    }
}

func grpcCodeName(_ code: Int) -> String {
    let names = [0: "OK", 1: "Canceled", 2: "Unknown", 3: "InvalidArgument", 4: "DeadlineExceeded", 5: "NotFound",
                 6: "AlreadyExists", 7: "PermissionDenied", 8: "ResourceExhausted", 9: "FailedPrecondition",
                 10: "Aborted", 11: "OutOfRange", 12: "Unimplemented", 13: "Internal", 14: "Unavailable",
                 15: "DataLoss", 16: "Unauthenticated"]
    return names[code] ?? "code \(code)"
}
