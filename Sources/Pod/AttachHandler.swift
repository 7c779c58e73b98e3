import FoundationEssentials
import RuntimeCore
import Synchronization

/// `GET /attach`: a WebSocket terminal with ttyd's framing, for any number of viewers at once.
///
/// Client → server: `'0'` + input bytes; `'1'` + `{"columns": C, "rows": R}` (resize); a first message
/// starting with `{` is ttyd's hello (`{"AuthToken": "...", "columns": C, "rows": R}`) and counts as a resize;
/// `'2'`/`'3'` (ttyd's pause/resume) are accepted and ignored. Server → client: `'0'` + output bytes, binary
/// frames. A new viewer first receives the raw scrollback, then live output; each viewer has its own sender
/// thread and bounded queue, so one slow viewer never delays the agent or the others (it is dropped when it
/// falls more than the queue limit behind).
final class AttachHandler: WebSocketHandler {
    private let supervisor: Supervisor
    private let tokens: [String]
    private let subscriptions = Mutex<[ObjectIdentifier: OutputSubscription]>([:])

    /// Largest WebSocket frame sent.
    static let maxFrame = 64 * 1024

    init(supervisor: Supervisor, tokens: [String]) {
        self.supervisor = supervisor
        self.tokens = tokens
    }

    func authorize(_ request: HTTPRequest) -> HTTPResponse? {
        guard !tokens.isEmpty else { return nil }
        let tokens = self.tokens
        return bearerAuth(tokens: { tokens }, open: [])(request)
    }

    func connected(_ socket: WebSocketConnection) {
        let hub = supervisor.hub
        let sub = hub.attachViewer()
        subscriptions.withLock { $0[ObjectIdentifier(socket)] = sub }
        startThread("attach-sender") {
            defer {
                hub.detach(sub)
                socket.close()
            }
            while socket.isOpen {
                guard let items = sub.next(timeout: 30) else { return }
                for case .output(let data) in items {
                    var offset = data.startIndex
                    while offset < data.endIndex {
                        let end = min(offset + AttachHandler.maxFrame, data.endIndex)
                        var frame = Data([UInt8(ascii: "0")])
                        frame.append(data[offset..<end])
                        guard socket.send(binary: frame) else { return }
                        offset = end
                    }
                }
            }
        }
    }

    func received(_ socket: WebSocketConnection, opcode: WebSocketOpcode, data: Data) {
        guard let command = data.first else { return }
        switch command {
        case UInt8(ascii: "0"):
            let input = data.dropFirst()
            if !input.isEmpty { _ = supervisor.sendInput(Data(input)) }
        case UInt8(ascii: "1"):
            resize(from: data.dropFirst())
        case UInt8(ascii: "{"):
            resize(from: data)
        default:
            break  // '2'/'3' pause/resume: flow control is the bounded queue's job here
        }
    }

    func closed(_ socket: WebSocketConnection) {
        let sub = subscriptions.withLock { $0.removeValue(forKey: ObjectIdentifier(socket)) }
        sub?.close()
    }

    private func resize(from data: Data) {
        guard let json = try? JSON.parse(Data(data)), let cols = json["columns"].intValue, let rows = json["rows"].intValue
        else { return }
        supervisor.resize(WindowSize(cols: Int(cols), rows: Int(rows)))
    }
}
