import CurlHTTP
import Foundation
import RuntimeCore

/// Operator-side resource use, read from getrusage and /proc.
struct ProcessSample {
    /// User + system CPU seconds so far.
    let cpuSeconds: Double
    /// Resident set size now, bytes.
    let rssBytes: Int
    /// Peak resident set size, bytes.
    let peakRSSBytes: Int
    /// Threads of the process.
    let threads: Int
    /// Open sockets.
    let sockets: Int
    /// When taken.
    let at: ContinuousClock.Instant

    static func now() -> ProcessSample {
        var usage = rusage()
        getrusage(RUSAGE_SELF_VALUE, &usage)
        let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "0") ?? 0
        }
        var sockets = 0
        if let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            for fd in fds where (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)"))?
                .hasPrefix("socket:") == true { sockets += 1 }
        }
        return ProcessSample(cpuSeconds: cpu, rssBytes: field("VmRSS") * 1024, peakRSSBytes: Int(usage.ru_maxrss) * 1024,
                             threads: field("Threads"), sockets: sockets, at: .now)
    }

    #if os(Linux)
    private static let RUSAGE_SELF_VALUE = __rusage_who_t(RUSAGE_SELF.rawValue)
    #else
    private static let RUSAGE_SELF_VALUE = RUSAGE_SELF
    #endif
}

/// etcd-side counters: its gRPC message counts (from its /metrics) and its CPU time (from /proc).
struct EtcdSample {
    /// Messages etcd received per gRPC method (the gateway turns each JSON request, and each message of a
    /// streamed body, into one).
    let messages: [String: Double]
    /// gRPC calls/streams etcd completed per method.
    let handled: [String: Double]
    /// etcd's CPU seconds, when its pid is known.
    let cpuSeconds: Double?

    static func take(http: HTTPClient, endpoint: String, pid: Int32?) async -> EtcdSample {
        var messages: [String: Double] = [:]
        var handled: [String: Double] = [:]
        if let r = try? await http.execute(HTTPClientRequest(url: endpoint + "/metrics", timeout: .seconds(5))) {
            for line in String(decoding: r.body, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
                let isMessages = line.hasPrefix("grpc_server_msg_received_total{")
                let isHandled = line.hasPrefix("grpc_server_handled_total{")
                guard isMessages || isHandled,
                      let m = line.range(of: "grpc_method=\""),
                      let end = line[m.upperBound...].firstIndex(of: "\""),
                      let value = Double(line.split(separator: " ").last ?? "")
                else { continue }
                let method = String(line[m.upperBound..<end])
                if isMessages { messages[method, default: 0] += value } else { handled[method, default: 0] += value }
            }
        }
        var cpu: Double?
        if let pid, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")")
        {
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 13, let u = Double(fields[11]), let s = Double(fields[12]) {
                cpu = (u + s) / Double(sysconf(Int32(_SC_CLK_TCK)))
            }
        }
        return EtcdSample(messages: messages, handled: handled, cpuSeconds: cpu)
    }

    func delta(since before: EtcdSample) -> (messages: Double, keepaliveMessages: Double, calls: Double, cpu: Double?) {
        let m = messages.reduce(0) { $0 + $1.value - (before.messages[$1.key] ?? 0) }
        let k = (messages["LeaseKeepAlive"] ?? 0) - (before.messages["LeaseKeepAlive"] ?? 0)
        let c = handled.reduce(0) { $0 + $1.value - (before.handled[$1.key] ?? 0) }
        let cpu = cpuSeconds.flatMap { now in before.cpuSeconds.map { now - $0 } }
        return (m, k, c, cpu)
    }
}
