import Foundation
import KubeClient
import Registry

/// The one error type of the Operator module: startup problems (flags, config, connections) and the
/// failures reconciles report to the controller.
public enum OperatorError: Error, Sendable, CustomStringConvertible {
    /// The config file is unreadable or invalid.
    case config(String)
    /// A flag value is invalid (beyond what the flag parser checks).
    case usage(String)
    /// A Kubernetes API call failed.
    case kube(KubeError)
    /// A server (metrics, health) could not start.
    case server(String)
    /// Something the reconcile waits for is missing (a referenced Secret); retried with backoff.
    case dependency(String)

    /// One line.
    public var description: String {
        switch self {
        case .config(let m): return "config: \(m)"
        case .usage(let m): return m
        case .kube(let e): return e.description
        case .server(let m): return "server: \(m)"
        case .dependency(let m): return m
        }
    }
}
