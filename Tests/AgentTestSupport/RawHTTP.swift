import Foundation
import Glibc
import RuntimeCore

/// One TCP connection to a loopback server, written and read byte by byte: for what a well-behaved client
/// library will not send (a 100 KB header, a WebSocket viewer that never reads its output).
///
/// Blocking (with receive timeouts): call it from ``onThread(_:)``, never straight from a test's task.
public final class RawHTTPConnection: @unchecked Sendable {
    private var fd: Int32

    /// Connects to `127.0.0.1:port`; every read gives up after `timeout`.
    public init(port: Int, timeout: Duration = .seconds(10)) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError.timeout("socket(): errno \(errno)") }
        var tv = timeval(tv_sec: Int(timeout.inSeconds), tv_usec: Int(timeout.inSeconds.truncatingRemainder(dividingBy: 1) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else {
            Glibc.close(fd)
            throw TestSupportError.timeout("connect to port \(port): errno \(errno)")
        }
    }

    deinit { close() }

    /// Writes all of `text`.
    public func send(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Reads until the end of the response head; returns the status code and everything read (head and
    /// whatever of the body came with it; `readToEnd` reads until the server closes). Nil on timeout or close.
    public func readResponse(readToEnd: Bool = false) -> (status: Int, text: String)? {
        var data = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data += chunk[0..<n]
            if !readToEnd, data.count >= 4, String(decoding: data, as: UTF8.self).contains("\r\n\r\n") { break }
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let line = text.split(separator: "\r\n").first, line.hasPrefix("HTTP/"),
              let status = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        return (status, text)
    }

    /// The JSON body of a response read with `readToEnd` (after the blank line), or nil.
    public static func jsonBody(_ text: String) -> JSON? {
        guard let range = text.range(of: "\r\n\r\n") else { return nil }
        return try? JSON.parse(Data(text[range.upperBound...].utf8))
    }

    /// Sends a WebSocket upgrade for `path` (subprotocol `tty`) and reads the answer's status (101 on success).
    /// Nothing more is read afterwards unless the caller reads: a viewer that never reads its output.
    public func upgrade(path: String, token: String?, readToEnd: Bool = false) -> (status: Int, text: String)? {
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: tty\r\n"
        if let token { request += "Authorization: Bearer \(token)\r\n" }
        send(request + "\r\n")
        return readResponse(readToEnd: readToEnd)
    }

    /// Closes the connection (idempotent).
    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}

/// Runs blocking `work` on a thread of its own and awaits its result, so that blocking socket calls never
/// hold one of the cooperative pool's threads.
public func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
        startThread("test-blocking") { continuation.resume(returning: work()) }
    }
}
