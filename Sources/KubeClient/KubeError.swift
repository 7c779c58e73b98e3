import CurlHTTP
import Foundation
import RuntimeCore

/// The one error type of every KubeClient call.
///
/// API failures carry the HTTP code and the server's `metav1.Status` (reason, message, causes); the
/// `is...` helpers answer the usual questions (`isNotFound`, `isConflict`, `isGone`) without matching
/// on cases.
public enum KubeError: Error, Sendable, CustomStringConvertible {
    /// The server answered with a failure status code.
    case api(code: Int, status: Status)
    /// The request did not complete: connection refused, TLS failure, timeout.
    case transport(HTTPClientError)
    /// The response was not the expected shape.
    case decoding(String)
    /// The request could not be built (an object without a name, an unencodable body).
    case invalidRequest(String)
    /// Credentials could not be obtained (exec plugin failure, unreadable token file).
    case credentials(String)
    /// The calling task was cancelled.
    case cancelled

    /// One line: `kube api 404 NotFound: pods "x" not found`, `kube transport: connection failed: ...`.
    public var description: String {
        switch self {
        case .api(let code, let status): return "kube api \(code) \(status)"
        case .transport(let e): return "kube transport: \(e)"
        case .decoding(let m): return "kube response: \(m)"
        case .invalidRequest(let m): return "kube request: \(m)"
        case .credentials(let m): return "kube credentials: \(m)"
        case .cancelled: return "kube request cancelled"
        }
    }

    /// The HTTP status code of an API failure.
    public var code: Int? {
        if case .api(let code, _) = self { return code }
        return nil
    }

    /// The decoded Status of an API failure.
    public var status: Status? {
        if case .api(_, let status) = self { return status }
        return nil
    }

    /// The Status reason of an API failure (derived from the code when the body had none).
    public var reason: StatusReason? {
        guard case .api(let code, let status) = self else { return nil }
        if let r = status.reason, !r.rawValue.isEmpty { return r }
        return StatusReason.forCode(code)
    }

    /// The server's message of an API failure.
    public var message: String? { status?.message }

    /// Field causes of an Invalid (422) answer.
    public var causes: [StatusCause] { status?.details?.causes ?? [] }

    /// Seconds to wait before retrying, from the Status details.
    public var retryAfterSeconds: Int? { status?.details?.retryAfterSeconds }

    /// 404 NotFound.
    public var isNotFound: Bool { reason == .notFound }
    /// 409 AlreadyExists (a create with a taken name).
    public var isAlreadyExists: Bool { reason == .alreadyExists }
    /// 409 Conflict (a stale resourceVersion).
    public var isConflict: Bool { reason == .conflict }
    /// 410: Gone or Expired; a watch or list must restart from a fresh list.
    public var isGone: Bool { code == 410 || reason == .gone || reason == .expired }
    /// 410 Expired specifically (an expired continue token or watch version).
    public var isExpired: Bool { reason == .expired }
    /// 422 Invalid.
    public var isInvalid: Bool { reason == .invalid }
    /// 403 Forbidden.
    public var isForbidden: Bool { reason == .forbidden }
    /// 401 Unauthorized.
    public var isUnauthorized: Bool { reason == .unauthorized }
    /// 400 BadRequest.
    public var isBadRequest: Bool { reason == .badRequest }
    /// 405 MethodNotAllowed.
    public var isMethodNotAllowed: Bool { reason == .methodNotAllowed }
    /// 429 TooManyRequests.
    public var isTooManyRequests: Bool { reason == .tooManyRequests || code == 429 }
    /// 504 Timeout.
    public var isTimeout: Bool { reason == .timeout }
    /// ServerTimeout (the server asks the client to retry).
    public var isServerTimeout: Bool { reason == .serverTimeout }
    /// 500 InternalError.
    public var isInternalError: Bool { reason == .internalError }
    /// 503 ServiceUnavailable.
    public var isServiceUnavailable: Bool { reason == .serviceUnavailable }
    /// The request never completed (network, TLS, timeout).
    public var isTransport: Bool { if case .transport = self { return true } else { return false } }
    /// The calling task was cancelled.
    public var isCancelled: Bool { if case .cancelled = self { return true } else { return false } }

    /// Builds the error for a failed response: the body's Status when it has one, else a Status
    /// synthesised from the code and the body text.
    public static func fromResponse(code: Int, body: Data) -> KubeError {
        if let json = try? JSON.parse(body), json["kind"].stringValue == "Status",
           var status = try? json.decode(Status.self)
        {
            if status.code == nil { status.code = code }
            return .api(code: code, status: status)
        }
        var text = String(decoding: body.prefix(512), as: UTF8.self)
            .replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
        if text.isEmpty { text = "HTTP \(code)" }
        return .api(code: code, status: Status(message: text, reason: StatusReason.forCode(code), code: code))
    }
}
