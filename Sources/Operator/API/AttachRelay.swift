import Foundation
import RuntimeCore
import Synchronization

/// `GET /agents/{id}/attach`: a WebSocket relayed to the agent's supervisor `GET /attach`.
///
/// Every viewer gets its own upstream connection (the supervisor replays the scrollback to each and
/// serves several viewers at once). Frames pass through untouched in both directions, so ttyd's framing
/// (`'0'` + input, `'1'` + `{"columns","rows"}` from the viewer; `'0'` + output from the supervisor)
/// works end to end and browsers running ttyd's client can attach. The caller authenticates with the API
/// token (`Authorization: Bearer` or `?token=`); the relay authenticates upstream with the supervisor's
/// token, which the caller never sees.
///
/// Threads: the upgrade and the viewer's messages arrive on civetweb workers (which may block); output
/// from the supervisor arrives on the WebSocket client's thread and is handed to one sender thread per
/// viewer through a bounded queue, so a slow viewer never blocks the supervisor connection of another
/// (a viewer more than 8 MiB behind is disconnected; reconnecting replays the scrollback).
final class AttachRelay: WebSocketHandler {
    private let backend: any AgentBackend
    private let authorizeCaller: @Sendable (HTTPRequest) -> HTTPResponse?
    private let logger: Logger
    private let sessions = Mutex<[ObjectIdentifier: RelaySession]>([:])

    /// Most output queued for one viewer.
    static let maxQueuedBytes = 8 << 20

    private let maxViewers: Int

    init(backend: any AgentBackend, authorize: @escaping @Sendable (HTTPRequest) -> HTTPResponse?, maxViewers: Int, logger: Logger) {
        self.backend = backend
        authorizeCaller = authorize
        self.maxViewers = maxViewers
        self.logger = logger
    }

    /// The agent id of `/agents/<id>/attach`.
    static func agentId(path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == 3, parts[0] == "agents", parts[2] == "attach" else { return nil }
        return String(parts[1]).removingPercentEncoding
    }

    func authorize(_ request: HTTPRequest) -> HTTPResponse? {
        if let refusal = authorizeCaller(request) { return refusal }
        guard let id = Self.agentId(path: request.path) else { return APIError.notFound(request.path).response }
        if sessions.withLock({ $0.count }) >= maxViewers {
            return APIError.unavailable("too many attached viewers (\(maxViewers)); retry later").response
        }
        let backend = self.backend
        let result: Result<SupervisorTarget, APIError> = Router.runBlocking {
            do throws(APIError) { return .success(try await backend.supervisor(agentId: id)) } catch { return .failure(error) }
        }
        if case .failure(let e) = result { return e.response }
        return nil
    }

    func connected(_ socket: WebSocketConnection) {
        guard let id = Self.agentId(path: socket.request.path) else { socket.close(); return }
        let session = RelaySession(agentId: id, viewer: socket)
        sessions.withLock { $0[ObjectIdentifier(socket)] = session }
        let backend = self.backend
        let logger = self.logger
        startThread("attach-relay") { session.runSender() }
        Task {
            do throws(APIError) {
                let target = try await backend.supervisor(agentId: id)
                guard let (host, port) = target.hostAndPort else { throw .badGateway("the agent's endpoint is not a URL") }
                let token = target.token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let upstream: WebSocketClient
                do {
                    upstream = try await WebSocketClient.connect(host: host, port: port, path: "/attach?token=" + token)
                } catch {
                    throw .badGateway("cannot attach to the agent's supervisor at \(target.endpoint): \(error)")
                }
                guard session.setUpstream(upstream) else {
                    upstream.close()  // the viewer left meanwhile
                    return
                }
                logger.info("viewer attached", ["agentId": .string(id), "remote": .string(socket.request.remoteAddress)])
                for await message in upstream.messages {
                    guard session.enqueue(message.data, opcode: message.opcode) else { break }
                }
                session.finish()
            } catch {
                logger.warning("attach failed", ["agentId": .string(id), "error": .string(error.message)])
                session.fail(error)
            }
        }
    }

    func received(_ socket: WebSocketConnection, opcode: WebSocketOpcode, data: Data) {
        guard let session = sessions.withLock({ $0[ObjectIdentifier(socket)] }) else { return }
        session.forwardToUpstream(data, opcode: opcode)
        // Typing may end a login screen: let the backend look again soon (cheap, coalesced by the backend).
        if data.first == UInt8(ascii: "0") {
            let backend = self.backend
            let id = session.agentId
            Task { await backend.inputDelivered(agentId: id) }
        }
    }

    func closed(_ socket: WebSocketConnection) {
        let session = sessions.withLock { $0.removeValue(forKey: ObjectIdentifier(socket)) }
        session?.viewerClosed()
        if let session { logger.info("viewer detached", ["agentId": .string(session.agentId)]) }
    }
}

/// One viewer's relay state: the upstream connection, input that arrived before it was ready, and the
/// output queue drained by the sender thread.
final class RelaySession: @unchecked Sendable {
    let agentId: String
    private let viewer: WebSocketConnection
    private let condition = NSCondition()
    private var upstream: WebSocketClient?
    private var pendingInput: [(Data, WebSocketOpcode)] = []
    private var output: [(Data, WebSocketOpcode)] = []
    private var queuedBytes = 0
    private var done = false
    private var viewerGone = false

    init(agentId: String, viewer: WebSocketConnection) {
        self.agentId = agentId
        self.viewer = viewer
    }

    /// Installs the upstream connection and flushes early input; false when the viewer already left.
    func setUpstream(_ client: WebSocketClient) -> Bool {
        condition.lock()
        guard !viewerGone else {
            condition.unlock()
            return false
        }
        upstream = client
        let early = pendingInput
        pendingInput.removeAll()
        condition.unlock()
        for (data, op) in early { send(client, data, op) }
        return true
    }

    /// Viewer → supervisor (called on a civetweb worker).
    func forwardToUpstream(_ data: Data, opcode: WebSocketOpcode) {
        condition.lock()
        guard let client = upstream else {
            if pendingInput.count < 1024 { pendingInput.append((data, opcode)) }
            condition.unlock()
            return
        }
        condition.unlock()
        send(client, data, opcode)
    }

    private func send(_ client: WebSocketClient, _ data: Data, _ opcode: WebSocketOpcode) {
        if opcode == .text { client.send(text: String(decoding: data, as: UTF8.self)) } else { client.send(binary: data) }
    }

    /// Supervisor → viewer: queues a message; false when the viewer is gone or too far behind.
    func enqueue(_ data: Data, opcode: WebSocketOpcode) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !done, !viewerGone else { return false }
        queuedBytes += data.count
        if queuedBytes > AttachRelay.maxQueuedBytes {
            done = true
            condition.signal()
            return false
        }
        output.append((data, opcode))
        condition.signal()
        return true
    }

    /// The supervisor ended the connection.
    func finish() {
        condition.lock()
        done = true
        condition.signal()
        condition.unlock()
    }

    /// The upstream could not be opened: tell the viewer why (one text frame) and close.
    func fail(_ error: APIError) {
        condition.lock()
        if !viewerGone { output.append((Data(APIError(error.status, error.code, error.message).response.body), .text)) }
        done = true
        condition.signal()
        condition.unlock()
    }

    /// The viewer disconnected: close the upstream too.
    func viewerClosed() {
        condition.lock()
        viewerGone = true
        let client = upstream
        upstream = nil
        condition.signal()
        condition.unlock()
        client?.close()
    }

    /// The sender thread: writes queued output to the viewer until done, then closes both sides.
    func runSender() {
        while true {
            condition.lock()
            while output.isEmpty && !done && !viewerGone { condition.wait() }
            let batch = output
            output.removeAll()
            queuedBytes = 0
            let finished = (done && batch.isEmpty) || viewerGone
            condition.unlock()
            if finished { break }
            for (data, op) in batch {
                let ok = op == .text ? viewer.send(text: String(decoding: data, as: UTF8.self)) : viewer.send(binary: data)
                if !ok { viewerClosed(); break }
            }
        }
        viewer.close()
        condition.lock()
        let client = upstream
        upstream = nil
        condition.unlock()
        client?.close()
    }
}
