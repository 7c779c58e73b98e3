import Foundation
import RuntimeCore

/// `/metrics` (Prometheus text 0.0.4) and `/healthz` + `/readyz` on their own listen addresses, the way
/// controller-runtime's manager serves them. Small thread pools: these are scraped, not browsed.
public final class ProbeServer: Sendable {
    private let metricsServer: HTTPServer?
    private let healthServer: HTTPServer?

    /// Creates the servers; a nil address disables one. `ready` answers `/readyz` (with the reason when not).
    public init(metricsAddress: String?, healthAddress: String?, metrics: MetricsRegistry,
                ready: @escaping @Sendable () -> (Bool, String)) {
        if let metricsAddress {
            let router = Router([
                ("GET", "/metrics", .streaming { _, w in
                    w.send(.text(metrics.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8"))
                }),
            ])
            metricsServer = HTTPServer(configuration: .init(listen: metricsAddress, threads: 4), handler: router.handler)
        } else {
            metricsServer = nil
        }
        if let healthAddress {
            let router = Router([
                ("GET", "/healthz", .streaming { _, w in w.send(.text("ok\n")) }),
                ("GET", "/readyz", .streaming { _, w in
                    let (ok, why) = ready()
                    w.send(ok ? .text("ok\n") : .text("not ready: \(why)\n", status: 503))
                }),
            ])
            healthServer = HTTPServer(configuration: .init(listen: healthAddress, threads: 4), handler: router.handler)
        } else {
            healthServer = nil
        }
    }

    /// Starts listening.
    public func start() throws(OperatorError) {
        do {
            try metricsServer?.start()
            try healthServer?.start()
        } catch {
            throw .server("\(error)")
        }
    }

    /// The bound metrics port (0 when disabled).
    public var metricsPort: Int { metricsServer?.port ?? 0 }
    /// The bound health port (0 when disabled).
    public var healthPort: Int { healthServer?.port ?? 0 }

    /// Stops both servers.
    public func shutdown() async {
        await metricsServer?.shutdown()
        await healthServer?.shutdown()
    }
}
