import Foundation
import RuntimeCore

/// An error the API answers with: an HTTP status plus a `metav1.Status` body, worded like the apiserver.
///
/// Build them with the static constructors (``notFound(_:name:)``, ``conflict(_:name:)``, ``invalid(_:name:_:)``
/// and so on) so that codes, reasons and messages stay consistent; render with ``status``.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One entry of `details.causes`.
    public struct Cause: Sendable, Equatable {
        /// Machine-readable reason, e.g. `FieldValueRequired`, `FieldManagerConflict`.
        public var reason: String
        /// Human-readable message, e.g. `Required value`.
        public var message: String
        /// The field path, e.g. `spec.agentType` or `.spec.replicas`.
        public var field: String

        /// Creates a cause.
        public init(reason: String, message: String, field: String) {
            self.reason = reason
            self.message = message
            self.field = field
        }
    }

    /// The HTTP status code (404, 409, 422...).
    public var code: Int
    /// The `metav1.StatusReason`, e.g. `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, `Expired`.
    public var reason: String
    /// The human-readable message.
    public var message: String
    /// `details.name`.
    public var name: String?
    /// `details.group`.
    public var group: String?
    /// `details.kind` (a resource plural for most errors, a Kind for Invalid, as the apiserver does).
    public var kind: String?
    /// `details.causes`.
    public var causes: [Cause]
    /// `details.retryAfterSeconds`.
    public var retryAfterSeconds: Int?

    /// Creates an error from its parts.
    public init(code: Int, reason: String, message: String, name: String? = nil, group: String? = nil,
                kind: String? = nil, causes: [Cause] = [], retryAfterSeconds: Int? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.name = name
        self.group = group
        self.kind = kind
        self.causes = causes
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// `code reason: message`, for logs.
    public var description: String { "\(code) \(reason): \(message)" }

    /// The `metav1.Status` body the apiserver sends with this error.
    public var status: JSON {
        var details: [String: JSON] = [:]
        if let name, !name.isEmpty { details["name"] = .string(name) }
        if let group, !group.isEmpty { details["group"] = .string(group) }
        if let kind, !kind.isEmpty { details["kind"] = .string(kind) }
        if !causes.isEmpty {
            details["causes"] = .array(causes.map { c in
                var o: [String: JSON] = ["reason": .string(c.reason), "message": .string(c.message)]
                if !c.field.isEmpty { o["field"] = .string(c.field) }
                return .object(o)
            })
        }
        if let retryAfterSeconds { details["retryAfterSeconds"] = .int(Int64(retryAfterSeconds)) }
        var o: [String: JSON] = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": .string(message), "reason": .string(reason), "code": .int(Int64(code)),
        ]
        if !details.isEmpty { o["details"] = .object(details) }
        return .object(o)
    }

    /// The `Status` the apiserver returns for a successful delete of a resource that does not return the object.
    public static func successStatus(_ resource: ResourceInfo, name: String, uid: String) -> JSON {
        var details: [String: JSON] = ["name": .string(name), "kind": .string(resource.plural)]
        if !resource.group.isEmpty { details["group"] = .string(resource.group) }
        if !uid.isEmpty { details["uid"] = .string(uid) }
        return ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "details": .object(details)]
    }
}

extension APIError {
    /// 404 `pods "x" not found`.
    public static func notFound(_ resource: ResourceInfo, name: String) -> APIError {
        notFound(group: resource.group, plural: resource.plural, name: name)
    }

    /// 404 for a resource given by group and plural (used for namespaces while creating other objects).
    public static func notFound(group: String, plural: String, name: String) -> APIError {
        let qualified = group.isEmpty ? plural : "\(plural).\(group)"
        return APIError(code: 404, reason: "NotFound", message: "\(qualified) \"\(name)\" not found",
                        name: name, group: group, kind: plural)
    }

    /// 409 `pods "x" already exists`.
    public static func alreadyExists(_ resource: ResourceInfo, name: String) -> APIError {
        APIError(code: 409, reason: "AlreadyExists", message: "\(resource.groupResource) \"\(name)\" already exists",
                 name: name, group: resource.group, kind: resource.plural)
    }

    /// 409 Conflict for a stale resourceVersion, in the apiserver's wording.
    public static func conflict(_ resource: ResourceInfo, name: String) -> APIError {
        conflict(resource, name: name, detail: OptimisticLock.message)
    }

    /// 409 `Operation cannot be fulfilled on pods "x": <detail>`.
    public static func conflict(_ resource: ResourceInfo, name: String, detail: String) -> APIError {
        APIError(code: 409, reason: "Conflict",
                 message: "Operation cannot be fulfilled on \(resource.groupResource) \"\(name)\": \(detail)",
                 name: name, group: resource.group, kind: resource.plural)
    }

    /// 422 Invalid with one cause per field error: `Pod "x" is invalid: spec.containers: Required value`.
    public static func invalid(_ resource: ResourceInfo, name: String, _ errors: [FieldError]) -> APIError {
        let qualifiedKind = resource.group.isEmpty ? resource.kind : "\(resource.kind).\(resource.group)"
        var messages: [String] = []
        for e in errors where !messages.contains(e.description) { messages.append(e.description) }
        let aggregate = messages.count == 1 ? messages[0] : "[" + messages.joined(separator: ", ") + "]"
        return APIError(code: 422, reason: "Invalid", message: "\(qualifiedKind) \"\(name)\" is invalid: \(aggregate)",
                        name: name, group: resource.group, kind: resource.kind,
                        causes: errors.map { Cause(reason: $0.type.reason, message: $0.body, field: $0.field) })
    }

    /// 400 BadRequest with a message.
    public static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    /// 400 for a body that cannot be decoded as the resource's type.
    public static func undecodable(_ resource: ResourceInfo, _ detail: String) -> APIError {
        badRequest("\(resource.kind) in version \"\(resource.version)\" cannot be handled as a \(resource.kind): \(detail)")
    }

    /// 403 Forbidden: `pods "x" is forbidden: <detail>`.
    public static func forbidden(_ resource: ResourceInfo, name: String, _ detail: String) -> APIError {
        APIError(code: 403, reason: "Forbidden", message: "\(resource.groupResource) \"\(name)\" is forbidden: \(detail)",
                 name: name, group: resource.group, kind: resource.plural)
    }

    /// 405 MethodNotAllowed.
    public static func methodNotAllowed(_ message: String) -> APIError {
        APIError(code: 405, reason: "MethodNotAllowed", message: message)
    }

    /// 415 for a patch type the resource does not support (strategic merge patch on custom resources).
    public static func unsupportedPatch() -> APIError {
        APIError(code: 415, reason: "UnsupportedMediaType",
                 message: "the body of the request was in an unknown format - accepted media types include: "
                     + "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
    }

    /// 410 Expired, as for watches and continue tokens older than the retained history.
    public static func expired(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }

    /// 500 InternalError.
    public static func internalError(_ message: String) -> APIError {
        APIError(code: 500, reason: "InternalError", message: "Internal error occurred: \(message)")
    }
}

/// The optimistic-concurrency message shared by every 409 on a stale resourceVersion.
enum OptimisticLock {
    static let message = "the object has been modified; please apply your changes to the latest version and try again"
}

/// One validation failure of a field, printed like apimachinery's `field.Error`.
public struct FieldError: Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure; determines the cause reason and the message prefix.
    public enum Kind: Sendable, Equatable {
        case required, invalid, notSupported, duplicate, forbidden, tooLong, tooMany, typeInvalid, notFound

        /// `StatusCause.reason`.
        public var reason: String {
            switch self {
            case .required: return "FieldValueRequired"
            case .invalid: return "FieldValueInvalid"
            case .notSupported: return "FieldValueNotSupported"
            case .duplicate: return "FieldValueDuplicate"
            case .forbidden: return "FieldValueForbidden"
            case .tooLong: return "FieldValueTooLong"
            case .tooMany: return "FieldValueTooMany"
            case .typeInvalid: return "FieldValueTypeInvalid"
            case .notFound: return "FieldValueNotFound"
            }
        }

        /// The message prefix (`ErrorType.String()`).
        var text: String {
            switch self {
            case .required: return "Required value"
            case .invalid, .typeInvalid: return "Invalid value"
            case .notSupported: return "Unsupported value"
            case .duplicate: return "Duplicate value"
            case .forbidden: return "Forbidden"
            case .tooLong: return "Too long"
            case .tooMany: return "Too many"
            case .notFound: return "Not found"
            }
        }
    }

    /// What went wrong.
    public var type: Kind
    /// The field path, e.g. `metadata.name` or `spec.containers[0].image`.
    public var field: String
    /// The offending value; nil when the message does not show one.
    public var value: JSON?
    /// Extra detail appended after the value.
    public var detail: String

    /// Creates a field error.
    public init(_ type: Kind, _ field: String, value: JSON? = nil, detail: String = "") {
        self.type = type
        self.field = field
        self.value = value
        self.detail = detail
    }

    /// `ErrorBody()`: the message without the field, e.g. `Invalid value: "x": must be no more than 63 characters`.
    public var body: String {
        var s = type.text
        switch type {
        case .required, .forbidden, .tooLong: break
        default:
            if let value { s += ": " + GoFormat.value(value) }
        }
        if !detail.isEmpty { s += ": " + detail }
        return s
    }

    /// `field: body`.
    public var description: String { field.isEmpty ? body : "\(field): \(body)" }

    /// `Unsupported value: "x": supported values: "a", "b"`.
    static func notSupported(_ field: String, _ value: JSON, _ supported: [String]) -> FieldError {
        FieldError(.notSupported, field, value: value,
                   detail: supported.isEmpty ? "" : "supported values: " + supported.map(GoFormat.quote).joined(separator: ", "))
    }
}
