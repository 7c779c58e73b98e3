import Foundation

/// metav1.StatusReason: the machine-readable cause of a failed request.
///
/// A struct rather than an enum so that reasons this client does not know survive decoding.
public struct StatusReason: RawRepresentable, Codable, Hashable, Sendable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    /// The reason as the server spells it.
    public var rawValue: String

    /// Wraps a reason string.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Wraps a reason string.
    public init(stringLiteral value: String) { rawValue = value }

    public init(from decoder: Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
    public var description: String { rawValue }

    /// No reason given.
    public static let unknown: StatusReason = ""
    /// 401: the credentials are missing or invalid.
    public static let unauthorized: StatusReason = "Unauthorized"
    /// 403: the credentials do not allow the request.
    public static let forbidden: StatusReason = "Forbidden"
    /// 404: the object or resource does not exist.
    public static let notFound: StatusReason = "NotFound"
    /// 409: an object with that name exists.
    public static let alreadyExists: StatusReason = "AlreadyExists"
    /// 409: the write raced with another (stale resourceVersion).
    public static let conflict: StatusReason = "Conflict"
    /// 410: the requested resourceVersion is no longer available.
    public static let gone: StatusReason = "Gone"
    /// 410: the requested resourceVersion is too old (watch history compacted).
    public static let expired: StatusReason = "Expired"
    /// 422: the object failed validation; `details.causes` names the fields.
    public static let invalid: StatusReason = "Invalid"
    /// 504-ish: the server could not complete the request in time and the client may retry.
    public static let serverTimeout: StatusReason = "ServerTimeout"
    /// 504: the request timed out.
    public static let timeout: StatusReason = "Timeout"
    /// 429: too many requests; see Retry-After.
    public static let tooManyRequests: StatusReason = "TooManyRequests"
    /// 400: the request itself is malformed.
    public static let badRequest: StatusReason = "BadRequest"
    /// 405: the verb is not supported on this resource.
    public static let methodNotAllowed: StatusReason = "MethodNotAllowed"
    /// 406: no acceptable content type.
    public static let notAcceptable: StatusReason = "NotAcceptable"
    /// 413: the request body is too large.
    public static let requestEntityTooLarge: StatusReason = "RequestEntityTooLarge"
    /// 415: the content type is not supported (for example a patch type).
    public static let unsupportedMediaType: StatusReason = "UnsupportedMediaType"
    /// 500: an internal server error.
    public static let internalError: StatusReason = "InternalError"
    /// 503: the service is unavailable.
    public static let serviceUnavailable: StatusReason = "ServiceUnavailable"

    /// The reason Kubernetes uses for an HTTP code when the body carries none.
    public static func forCode(_ code: Int) -> StatusReason {
        switch code {
        case 400: return .badRequest
        case 401: return .unauthorized
        case 403: return .forbidden
        case 404: return .notFound
        case 405: return .methodNotAllowed
        case 406: return .notAcceptable
        case 409: return .conflict
        case 410: return .gone
        case 413: return .requestEntityTooLarge
        case 415: return .unsupportedMediaType
        case 422: return .invalid
        case 429: return .tooManyRequests
        case 500: return .internalError
        case 503: return .serviceUnavailable
        case 504: return .timeout
        default: return .unknown
        }
    }
}

/// metav1.Status: the result of an operation that does not return an object, and the body of every error.
public struct Status: Codable, Hashable, Sendable, CustomStringConvertible {
    /// Always `v1`.
    public var apiVersion: String?
    /// Always `Status`.
    public var kind: String?
    /// List metadata (unused by servers in practice).
    public var metadata: ListMeta?
    /// `Success` or `Failure`.
    public var status: String?
    /// A human-readable description.
    public var message: String?
    /// The machine-readable reason.
    public var reason: StatusReason?
    /// Extra data about the reason, such as which fields were invalid.
    public var details: StatusDetails?
    /// The HTTP status code.
    public var code: Int?

    /// Creates a status.
    public init(status: String? = "Failure", message: String? = nil, reason: StatusReason? = nil,
                details: StatusDetails? = nil, code: Int? = nil) {
        apiVersion = "v1"
        kind = "Status"
        self.status = status
        self.message = message
        self.reason = reason
        self.details = details
        self.code = code
    }

    /// True when `status` is `Success`.
    public var isSuccess: Bool { status == "Success" }

    /// `Reason: message` (with the field causes of an Invalid answer), on one line.
    public var description: String {
        var parts: [String] = []
        if let r = reason, !r.rawValue.isEmpty { parts.append(r.rawValue) }
        if let m = message, !m.isEmpty { parts.append(m.replacingOccurrences(of: "\n", with: " ")) }
        var text = parts.joined(separator: ": ")
        if let causes = details?.causes, !causes.isEmpty, message == nil {
            text += " (" + causes.map { "\($0.field ?? "?"): \($0.message ?? "")" }.joined(separator: "; ") + ")"
        }
        return text.isEmpty ? "status \(code.map(String.init) ?? "unknown")" : text
    }
}

/// metav1.StatusDetails: what a Status is about.
public struct StatusDetails: Codable, Hashable, Sendable {
    /// The name of the object concerned.
    public var name: String?
    /// Its API group.
    public var group: String?
    /// Its kind.
    public var kind: String?
    /// Its uid.
    public var uid: String?
    /// Individual problems, such as invalid fields.
    public var causes: [StatusCause]?
    /// Seconds the client should wait before retrying.
    public var retryAfterSeconds: Int?

    /// Creates details.
    public init(name: String? = nil, group: String? = nil, kind: String? = nil, uid: String? = nil,
                causes: [StatusCause]? = nil, retryAfterSeconds: Int? = nil) {
        self.name = name
        self.group = group
        self.kind = kind
        self.uid = uid
        self.causes = causes
        self.retryAfterSeconds = retryAfterSeconds
    }
}

/// metav1.StatusCause: one problem, typically a field that failed validation.
public struct StatusCause: Codable, Hashable, Sendable {
    /// The kind of problem, such as `FieldValueRequired` (serialised as `reason`).
    public var reason: String?
    /// A human-readable description.
    public var message: String?
    /// The JSON path of the field, such as `spec.agentType`.
    public var field: String?

    /// Creates a cause.
    public init(reason: String? = nil, message: String? = nil, field: String? = nil) {
        self.reason = reason
        self.message = message
        self.field = field
    }
}

/// metav1.Condition: the standard shape of a status condition.
public struct Condition: Codable, Hashable, Sendable {
    /// The condition type in CamelCase, such as `Ready`.
    public var type: String
    /// `True`, `False` or `Unknown`.
    public var status: String
    /// The `.metadata.generation` the condition was computed from.
    public var observedGeneration: Int64?
    /// When `status` last changed.
    public var lastTransitionTime: Time?
    /// A CamelCase machine-readable reason.
    public var reason: String
    /// A human-readable message.
    public var message: String

    /// Creates a condition.
    public init(type: String, status: String, observedGeneration: Int64? = nil, lastTransitionTime: Time? = nil,
                reason: String, message: String = "") {
        self.type = type
        self.status = status
        self.observedGeneration = observedGeneration
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }

    enum CodingKeys: String, CodingKey { case type, status, observedGeneration, lastTransitionTime, reason, message }

    // Servers (and older objects) may omit reason or message; they are required only on write.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decode(String.self, forKey: .type)
        status = try c.decode(String.self, forKey: .status)
        observedGeneration = try c.decodeIfPresent(Int64.self, forKey: .observedGeneration)
        lastTransitionTime = try c.decodeIfPresent(Time.self, forKey: .lastTransitionTime)
        reason = try c.decodeIfPresent(String.self, forKey: .reason) ?? ""
        message = try c.decodeIfPresent(String.self, forKey: .message) ?? ""
    }

    /// True when `status` is `True`.
    public var isTrue: Bool { status == "True" }
}

extension Array where Element == Condition {
    /// The condition of `type`, if present.
    public func condition(_ type: String) -> Condition? { first { $0.type == type } }

    /// True when the condition of `type` is present with status `True`.
    public func isTrue(_ type: String) -> Bool { condition(type)?.isTrue ?? false }

    /// Adds or updates a condition the way `meta.SetStatusCondition` does: `lastTransitionTime` moves
    /// only when `status` changes (or is set to `now` when missing). Returns whether anything changed.
    @discardableResult
    public mutating func set(_ new: Condition, now: Time = .now) -> Bool {
        guard let i = firstIndex(where: { $0.type == new.type }) else {
            var c = new
            if c.lastTransitionTime == nil { c.lastTransitionTime = now }
            append(c)
            return true
        }
        var c = new
        if self[i].status == new.status {
            c.lastTransitionTime = self[i].lastTransitionTime ?? new.lastTransitionTime ?? now
        } else if c.lastTransitionTime == nil {
            c.lastTransitionTime = now
        }
        if self[i] == c { return false }
        self[i] = c
        return true
    }

    /// Removes the condition of `type`; returns whether it was present.
    @discardableResult
    public mutating func remove(_ type: String) -> Bool {
        let before = count
        removeAll { $0.type == type }
        return count != before
    }
}
