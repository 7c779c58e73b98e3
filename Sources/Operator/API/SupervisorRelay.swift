import CurlHTTP
import Foundation
import RuntimeCore

/// Forwards `logs`, `screen`, `input`, `message(s)` and `interrupt` requests to an agent's supervisor with the supervisor's own
/// token, which the caller never sees.
///
/// The supervisor's answers pass through (text bodies, its JSON errors such as 409 `AgentNotRunning` or
/// 503 `InputBacklog`), except that a 401 from the supervisor becomes 502: it means the runtime holds a
/// stale token, which is not the caller's fault and must not look like the API refused the caller's own
/// token. Unreachable supervisors give 502 `SupervisorUnavailable`.
public struct SupervisorRelay: Sendable {
    /// The client used for every supervisor (one curl thread).
    public let http: HTTPClient
    /// Limit of one forwarded request.
    public let timeout: Duration

    /// Creates a relay.
    public init(http: HTTPClient, timeout: Duration = .seconds(10)) {
        self.http = http
        self.timeout = timeout
    }

    /// `GET /logs?tail=N[&raw=1]`.
    public func logs(_ target: SupervisorTarget, tail: Int?, raw: Bool) async -> HTTPResponse {
        var query: [String] = []
        if let tail { query.append("tail=\(tail)") }
        if raw { query.append("raw=1") }
        return await forward(target, method: "GET", path: "/logs" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
    }

    /// `GET /screen`.
    public func screen(_ target: SupervisorTarget) async -> HTTPResponse {
        await forward(target, method: "GET", path: "/screen")
    }

    /// `GET /status` (the supervisor's own view, for `GET /agents/{id}/status`).
    public func status(_ target: SupervisorTarget) async -> HTTPResponse {
        await forward(target, method: "GET", path: "/status")
    }

    /// `POST /input` with the caller's body and content type.
    public func input(_ target: SupervisorTarget, body: Data, contentType: String?) async -> HTTPResponse {
        await forward(target, method: "POST", path: "/input", body: body, contentType: contentType ?? "application/json")
    }

    /// `POST /resize` with the caller's JSON body.
    public func resize(_ target: SupervisorTarget, body: Data) async -> HTTPResponse {
        await forward(target, method: "POST", path: "/resize", body: body, contentType: "application/json")
    }

    /// `POST /message` with the caller's JSON body (`{"content", "type"}`): 202 with the turn, 409 `AgentBusy`.
    public func message(_ target: SupervisorTarget, body: Data) async -> HTTPResponse {
        await forward(target, method: "POST", path: "/message", body: body, contentType: "application/json")
    }

    /// `GET /messages[?since=ID]`.
    public func messages(_ target: SupervisorTarget, since: String?) async -> HTTPResponse {
        let query = since.map { "?since=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") } ?? ""
        return await forward(target, method: "GET", path: "/messages" + query)
    }

    /// `POST /interrupt`.
    public func interrupt(_ target: SupervisorTarget) async -> HTTPResponse {
        await forward(target, method: "POST", path: "/interrupt", body: Data("{}".utf8), contentType: "application/json")
    }

    private func forward(_ target: SupervisorTarget, method: String, path: String, body: Data? = nil, contentType: String? = nil)
        async -> HTTPResponse
    {
        var headers = [("Authorization", "Bearer " + target.token)]
        if let contentType { headers.append(("Content-Type", contentType)) }
        let request = HTTPClientRequest(method: method, url: target.endpoint + path, headers: headers, body: body, timeout: timeout)
        do throws(HTTPClientError) {
            let r = try await http.execute(request)
            if r.status == 401 {
                return APIError.badGateway("the agent's supervisor refused the runtime's credentials; try again shortly").response
            }
            let type = r.header("content-type") ?? "text/plain; charset=utf-8"
            return HTTPResponse(status: r.status, headers: [("Content-Type", type)], body: r.body)
        } catch {
            return APIError(502, "SupervisorUnavailable", "the agent's supervisor at \(target.endpoint) did not answer: \(error)").response
        }
    }
}
