import Foundation
import RuntimeCore

/// The registry's Prometheus metrics (contract §7), registered in the operator's ``MetricsRegistry``.
struct RegistryMetrics: Sendable {
    let registered: Gauge?
    let keepaliveFailures: Counter?

    init(_ registry: MetricsRegistry?) {
        registered = registry?.gauge("agent_registry_registered",
                                     help: "Agents whose registry key is currently written and kept alive.",
                                     labelNames: ["namespace"])
        keepaliveFailures = registry?.counter("agent_registry_keepalive_failures_total",
                                              help: "Lease renewals that failed or found the lease gone.")
    }

    /// Sets the gauge of one namespace.
    func setRegistered(_ namespace: String, _ count: Int) {
        registered?.set(Double(count), labels: [namespace])
    }

    func keepaliveFailed(_ n: Int = 1) {
        guard n > 0 else { return }
        keepaliveFailures?.inc(Double(n))
    }
}

/// The health checker's metrics.
struct HealthMetrics: Sendable {
    let checks: Counter?

    init(_ registry: MetricsRegistry?) {
        checks = registry?.counter("agent_health_checks_total",
                                   help: "Supervisor /status checks by result (success, failure, timeout).",
                                   labelNames: ["result"])
    }

    func record(_ result: String) { checks?.inc(labels: [result]) }
}
