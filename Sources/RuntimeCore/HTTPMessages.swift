import FoundationEssentials

/// An HTTP request as the server hands it to a handler: the body is fully read (and size-limited).
public struct HTTPRequest: Sendable {
    /// Method in upper case.
    public let method: String
    /// URL-decoded path without the query string.
    public let path: String
    /// The raw (still percent-encoded) query string without `?`.
    public let rawQuery: String
    /// Request headers with lower-cased names; repeated headers are joined with ", ".
    public let headers: [String: String]
    /// The request body.
    public let body: Data
    /// The peer's IP address.
    public let remoteAddress: String
    /// Values captured by the route pattern (`:name` segments).
    public var pathParameters: [String: String] = [:]

    /// Creates a request (used by the server and by tests that call handlers directly).
    public init(method: String, path: String, rawQuery: String = "", headers: [String: String] = [:],
                body: Data = Data(), remoteAddress: String = "127.0.0.1") {
        self.method = method
        self.path = path
        self.rawQuery = rawQuery
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// A header by case-insensitive name.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// Decoded query parameters; a name may repeat.
    public var queryItems: [(name: String, value: String)] { HTTPRequest.parseQuery(rawQuery) }

    /// The first value of a query parameter.
    public func query(_ name: String) -> String? { queryItems.first { $0.name == name }?.value }

    /// The token of an `Authorization: Bearer <token>` header, if present.
    public var bearerToken: String? {
        guard let auth = header("authorization") else { return nil }
        let prefix = "bearer "
        guard auth.count > prefix.count, auth.lowercased().hasPrefix(prefix) else { return nil }
        return String(auth.dropFirst(prefix.count)).trimmingWhitespace()
    }

    /// True for a WebSocket upgrade (`Upgrade: websocket`).
    public var isWebSocketUpgrade: Bool { header("upgrade")?.lowercased() == "websocket" }

    /// The token the caller presented: `Authorization: Bearer`, or `?token=` on a WebSocket upgrade only.
    /// Browsers cannot set headers on a WebSocket, so the upgrade may carry it in the URL; on any other
    /// request a token in the URL would only end up in proxies' access logs, so it is not looked at.
    public var presentedToken: String? {
        bearerToken ?? (isWebSocketUpgrade ? query("token") : nil)
    }

    /// The media type of the body without parameters, lower-cased (e.g. `application/json`).
    public var contentType: String? {
        header("content-type")?.split(separator: ";").first.map { $0.trimmingWhitespace().lowercased() }
    }

    /// Decodes `application/x-www-form-urlencoded`-style query text.
    public static func parseQuery(_ raw: String) -> [(name: String, value: String)] {
        guard !raw.isEmpty else { return [] }
        return raw.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecode(String(parts[0]))
            let value = parts.count > 1 ? percentDecode(String(parts[1])) : ""
            return (name, value)
        }
    }

    /// `+` becomes a space and `%XX` the byte XX. Text whose escapes are malformed or do not decode to
    /// UTF-8 is returned with only the `+` replaced, as Foundation's `removingPercentEncoding` fallback did.
    static func percentDecode(_ s: String) -> String {
        let plusFixed = s.replacing("+", with: " ")
        guard plusFixed.utf8.contains(UInt8(ascii: "%")) else { return plusFixed }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(plusFixed.utf8.count)
        var it = plusFixed.utf8.makeIterator()
        while let b = it.next() {
            guard b == UInt8(ascii: "%") else { bytes.append(b); continue }
            guard let hi = it.next().flatMap(hexValue), let lo = it.next().flatMap(hexValue) else { return plusFixed }
            bytes.append(hi << 4 | lo)
        }
        return String(validating: bytes, as: UTF8.self) ?? plusFixed
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// A complete HTTP response.
public struct HTTPResponse: Sendable {
    /// Status code.
    public var status: Int
    /// Headers in order.
    public var headers: [(String, String)]
    /// Body bytes.
    public var body: Data

    /// Creates a response.
    public init(status: Int = 200, headers: [(String, String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response.
    public static func json(_ value: JSON, status: Int = 200, pretty: Bool = false) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: value.data(pretty: pretty))
    }

    /// A JSON response from an Encodable value.
    public static func json<T: Encodable>(encoding value: T, status: Int = 200) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(value)) ?? Data("null".utf8)
        return HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: body)
    }

    /// A plain-text response.
    public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8")
        -> HTTPResponse
    {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: Data(text.utf8))
    }

    /// The runtime's JSON error shape: `{"error": {"code": "...", "message": "..."}}`.
    public static func error(_ status: Int, code: String, message: String) -> HTTPResponse {
        .json(["error": ["code": .string(code), "message": .string(message)]], status: status)
    }

    /// The standard reason phrase of a status code.
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 413: return "Payload Too Large"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Entity"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "Status \(status)"
        }
    }
}

/// Constant-time comparison for secrets (bearer tokens): the time taken does not depend on where the
/// inputs first differ.
public func constantTimeEquals(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var diff = UInt8(truncatingIfNeeded: x.count ^ y.count)
    let n = max(x.count, y.count)
    for i in 0..<n {
        let l = i < x.count ? x[i] : 0
        let r = i < y.count ? y[i] : 0
        diff |= l ^ r
    }
    return diff == 0
}
