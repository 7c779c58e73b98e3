import CCurl
import Foundation
import RuntimeCore
import Synchronization

/// libcurl needs one global initialisation before any handle exists.
let curlGlobalInit: Void = {
    curl_global_init(CCURL_GLOBAL_ALL)
}()

/// The event loop behind ``HTTPClient``: one thread drives every transfer through `curl_multi_poll`.
///
/// Other threads never touch curl handles; they post `add`/`cancel` operations to an inbox and wake the
/// loop with `curl_multi_wakeup`. This keeps libcurl single-threaded per multi handle, as it requires.
final class CurlMultiLoop: @unchecked Sendable {
    private enum Operation {
        case add(CurlTransfer)
        case cancel(CurlTransfer)
        case shutdown
    }

    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex<[Operation]>([])
    /// Transfers owned by the loop thread, retained while curl holds a pointer to them.
    private var active: [ObjectIdentifier: CurlTransfer] = [:]
    private var stopped = false
    /// Set by ``shutdown()``: later requests fail at once instead of waiting for a loop that is gone.
    private let closed = Atomic<Bool>(false)

    init(name: String, maxConnectionsPerHost: Int) {
        _ = curlGlobalInit
        multi = curl_multi_init()
        // HTTP/2 multiplexing over shared connections; many concurrent streams per host.
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_PIPELINING, CCURL_PIPE_MULTIPLEX)
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 256)
        // Beyond this, transfers queue for a free connection instead of opening more: thread-per-connection
        // servers (civetweb, the emulator) would otherwise run out of workers pinned by idle keep-alives.
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
        startThread(name) { [self] in self.run() }
    }

    func add(_ t: CurlTransfer) {
        if closed.load(ordering: .acquiring) {
            t.complete(cancelled: true, code: CURLE_ABORTED_BY_CALLBACK, message: "client shut down")
            return
        }
        post(.add(t))
    }
    func cancel(_ t: CurlTransfer) { post(.cancel(t)) }
    func shutdown() {
        closed.store(true, ordering: .releasing)
        post(.shutdown)
    }

    private func post(_ op: Operation) {
        inbox.withLock { $0.append(op) }
        curl_multi_wakeup(multi)
    }

    private func run() {
        while !stopped {
            let ops = inbox.withLock { ops -> [Operation] in
                let taken = ops
                ops.removeAll(keepingCapacity: true)
                return taken
            }
            for op in ops { apply(op) }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            drainMessages()
            if stopped { break }
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
        for t in active.values { finish(t, code: CURLE_ABORTED_BY_CALLBACK, cancelled: true) }
        // Adds that raced with shutdown are still in the inbox: fail them rather than leave them waiting.
        for op in inbox.withLock({ ops -> [Operation] in defer { ops.removeAll() }; return ops }) {
            if case .add(let t) = op { t.complete(cancelled: true, code: CURLE_ABORTED_BY_CALLBACK, message: "client shut down") }
        }
        curl_multi_cleanup(multi)
    }

    private func apply(_ op: Operation) {
        switch op {
        case .add(let t):
            if t.cancelledBeforeStart || stopped {
                t.complete(cancelled: true, code: CURLE_ABORTED_BY_CALLBACK, message: "cancelled")
                return
            }
            active[ObjectIdentifier(t)] = t
            t.started = true
            curl_multi_add_handle(multi, t.easy)
        case .cancel(let t):
            if !t.started { t.cancelledBeforeStart = true; return }
            if active[ObjectIdentifier(t)] != nil { finish(t, code: CURLE_ABORTED_BY_CALLBACK, cancelled: true) }
        case .shutdown:
            stopped = true
        }
    }

    private func drainMessages() {
        var remaining: Int32 = 0
        while let msg = curl_multi_info_read(multi, &remaining) {
            guard msg.pointee.msg.rawValue == UInt32(CCURL_MSG_DONE), let easy = msg.pointee.easy_handle else { continue }
            let code = msg.pointee.data.result
            var priv: UnsafeMutableRawPointer?
            _ = ccurl_getinfo_ptr(easy, CURLINFO_PRIVATE, &priv)
            guard let priv else { continue }
            let t = Unmanaged<CurlTransfer>.fromOpaque(priv).takeUnretainedValue()
            finish(t, code: code, cancelled: false)
        }
    }

    private func finish(_ t: CurlTransfer, code: CURLcode, cancelled: Bool) {
        curl_multi_remove_handle(multi, t.easy)
        active.removeValue(forKey: ObjectIdentifier(t))
        t.complete(cancelled: cancelled, code: code, message: t.errorMessage(code))
    }
}

/// One request in flight: its curl easy handle and where its results go.
///
/// Created on the caller's thread, then touched only by the loop thread.
final class CurlTransfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    let streaming: Bool
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    var started = false
    var cancelledBeforeStart = false
    private var done = false

    private var status = 0
    private var headers: [String: String] = [:]
    private var headersDelivered = false
    private var body = Data()

    var onComplete: (@Sendable (Result<HTTPClientResponse, HTTPClientError>) -> Void)?
    var onHeaders: (@Sendable (Result<(Int, [String: String]), HTTPClientError>) -> Void)?
    var bodyContinuation: AsyncThrowingStream<Data, any Error>.Continuation?

    init(request: HTTPClientRequest, streaming: Bool) throws(HTTPClientError) {
        _ = curlGlobalInit
        guard let easy = curl_easy_init() else { throw .transport(code: -1, message: "curl_easy_init failed") }
        self.easy = easy
        self.streaming = streaming
        errorBuffer.initialize(to: 0)
        try configure(request)
    }

    deinit {
        curl_slist_free_all(headerList)
        curl_easy_cleanup(easy)
        errorBuffer.deallocate()
    }

    private func configure(_ r: HTTPClientRequest) throws(HTTPClientError) {
        guard r.url.hasPrefix("http://") || r.url.hasPrefix("https://") else { throw .invalidURL(r.url) }
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = ccurl_setopt_str(easy, CURLOPT_URL, r.url)
        _ = ccurl_setopt_ptr(easy, CURLOPT_PRIVATE, me)
        _ = ccurl_setopt_ptr(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = ccurl_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_setopt_long(easy, CURLOPT_HTTP_VERSION, CCURL_HTTP_VERSION_2TLS)
        _ = ccurl_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        _ = ccurl_setopt_long(easy, CURLOPT_TCP_NODELAY, 1)
        _ = ccurl_setopt_str(easy, CURLOPT_ACCEPT_ENCODING, "")  // every encoding curl can decode (gzip, br, zstd)
        _ = ccurl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(r.connectTimeout.milliseconds))
        if let t = r.timeout { _ = ccurl_setopt_long(easy, CURLOPT_TIMEOUT_MS, max(1, Int(t.milliseconds))) }

        let method = r.method.uppercased()
        if method == "HEAD" {
            _ = ccurl_setopt_long(easy, CURLOPT_NOBODY, 1)
        } else if let body = r.body {
            _ = ccurl_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            body.withUnsafeBytes { raw in
                _ = ccurl_setopt_ptr(easy, CURLOPT_COPYPOSTFIELDS, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)
            }
            if method != "POST" { _ = ccurl_setopt_str(easy, CURLOPT_CUSTOMREQUEST, method) }
        } else if method != "GET" {
            _ = ccurl_setopt_str(easy, CURLOPT_CUSTOMREQUEST, method)
        }

        // "Expect:" turns off 100-continue round trips for bodies.
        for (name, value) in r.headers + [("Expect", "")] {
            headerList = curl_slist_append(headerList, value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        _ = ccurl_setopt_ptr(easy, CURLOPT_HTTPHEADER, headerList)

        if let tls = r.tls { applyTLS(tls) }

        _ = ccurl_setopt_ptr(easy, CURLOPT_WRITEDATA, me)
        _ = ccurl_setopt_write(easy) { ptr, size, count, ctx in
            let n = size * count
            guard let ptr, let ctx else { return n }
            let t = Unmanaged<CurlTransfer>.fromOpaque(ctx).takeUnretainedValue()
            t.received(body: UnsafeRawBufferPointer(start: ptr, count: n))
            return n
        }
        _ = ccurl_setopt_ptr(easy, CURLOPT_HEADERDATA, me)
        _ = ccurl_setopt_header(easy) { ptr, size, count, ctx in
            let n = size * count
            guard let ptr, let ctx else { return n }
            let t = Unmanaged<CurlTransfer>.fromOpaque(ctx).takeUnretainedValue()
            t.received(headerLine: UnsafeRawBufferPointer(start: ptr, count: n))
            return n
        }
    }

    private func applyTLS(_ tls: TLSConfiguration) {
        if let f = tls.caFile { _ = ccurl_setopt_str(easy, CURLOPT_CAINFO, f) }
        if let d = tls.caData { d.withUnsafeBytes { _ = ccurl_setopt_blob(easy, CURLOPT_CAINFO_BLOB, $0.baseAddress, d.count) } }
        if let f = tls.clientCertFile { _ = ccurl_setopt_str(easy, CURLOPT_SSLCERT, f) }
        if let d = tls.clientCertData {
            d.withUnsafeBytes { _ = ccurl_setopt_blob(easy, CURLOPT_SSLCERT_BLOB, $0.baseAddress, d.count) }
        }
        if let f = tls.clientKeyFile { _ = ccurl_setopt_str(easy, CURLOPT_SSLKEY, f) }
        if let d = tls.clientKeyData {
            d.withUnsafeBytes { _ = ccurl_setopt_blob(easy, CURLOPT_SSLKEY_BLOB, $0.baseAddress, d.count) }
        }
        if tls.insecureSkipVerify {
            _ = ccurl_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0)
            _ = ccurl_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0)
        }
    }

    // MARK: Loop-thread callbacks

    private func received(headerLine raw: UnsafeRawBufferPointer) {
        let line = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {
            let parts = line.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            headers = [:]
            return
        }
        if line.isEmpty {
            // End of one header block; 1xx blocks are followed by the real one.
            if streaming, status >= 200, !headersDelivered {
                headersDelivered = true
                onHeaders?(.success((status, headers)))
            }
            return
        }
        if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = value
        }
    }

    private func received(body raw: UnsafeRawBufferPointer) {
        if streaming {
            bodyContinuation?.yield(Data(raw))
        } else {
            body.append(raw.bindMemory(to: UInt8.self))
        }
    }

    func errorMessage(_ code: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        return detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
    }

    func complete(cancelled: Bool, code: CURLcode, message: String) {
        guard !done else { return }
        done = true
        let error: HTTPClientError? =
            cancelled ? .cancelled : (code == CURLE_OK ? nil : HTTPClientError.from(code: code, message: message))
        if streaming {
            if !headersDelivered {
                headersDelivered = true
                if let error {
                    onHeaders?(.failure(error))
                } else {
                    onHeaders?(.success((status, headers)))
                }
            }
            if let error, !cancelled { bodyContinuation?.finish(throwing: error) } else { bodyContinuation?.finish() }
            bodyContinuation = nil
        } else if let error {
            onComplete?(.failure(error))
        } else {
            onComplete?(.success(HTTPClientResponse(status: status, headers: headers, body: body)))
        }
        onComplete = nil
        onHeaders = nil
    }
}
