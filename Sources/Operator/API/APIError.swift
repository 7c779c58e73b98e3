import Foundation
import RuntimeCore

/// A runtime API failure: the HTTP status, a stable machine-readable code and one sentence for people.
/// Rendered as the contract's error shape `{"error": {"code": "...", "message": "..."}}` (CONTRACT.md §6).
///
/// Messages never contain a secret: supervisor tokens and API tokens stay out of every error and log.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status code.
    public var status: Int
    /// `BadRequest`, `Invalid`, `AlreadyExists`, `PolicyViolation`, `QuotaExceeded`, `NotFound`, ...
    public var code: String
    /// One line.
    public var message: String

    /// Creates an error.
    public init(_ status: Int, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status) \(code): \(message)" }

    /// The HTTP response.
    public var response: HTTPResponse { .error(status, code: code, message: message) }

    /// 400: the body is not JSON, or not an object.
    public static func badRequest(_ message: String) -> APIError { APIError(400, "BadRequest", message) }
    /// 422: a field is missing, of the wrong type, unknown or out of range.
    public static func invalid(_ message: String) -> APIError { APIError(422, "Invalid", message) }
    /// 404: no such agent.
    public static func notFound(_ agentId: String) -> APIError {
        APIError(404, "NotFound", "agent \(agentId) not found")
    }
    /// 409: an agent with this id (or the name derived from it) exists.
    public static func exists(_ message: String) -> APIError { APIError(409, "AlreadyExists", message) }
    /// 403: the request is valid but the runtime's policy refuses it.
    public static func policy(_ message: String) -> APIError { APIError(403, "PolicyViolation", message) }
    /// 429: a quota (agents per host, namespace or workspace) is full.
    public static func quota(_ message: String) -> APIError { APIError(429, "QuotaExceeded", message) }
    /// 409: the agent exists but its supervisor cannot be reached yet (no endpoint or token).
    public static func notReady(_ message: String) -> APIError { APIError(409, "AgentNotReady", message) }
    /// 502: the supervisor (or the Kubernetes API) did not answer as it should.
    public static func badGateway(_ message: String) -> APIError { APIError(502, "BadGateway", message) }
    /// 503: the runtime is not ready (caches not synced, shutting down).
    public static func unavailable(_ message: String) -> APIError { APIError(503, "Unavailable", message) }
    /// 500: a bug or an unexpected failure.
    public static func `internal`(_ message: String) -> APIError { APIError(500, "InternalError", message) }
}
