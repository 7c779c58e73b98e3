import Foundation

/// Failures of ``AgentRegistry`` and ``HealthChecker`` calls that the caller must act on. Transient etcd
/// trouble is not one of them: the registry retries by itself and reports through its events.
public enum RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The descriptor cannot be registered (empty id, `/` in the id, TTL below 1 s, bad endpoint).
    case invalidAgent(String)
    /// The agent is not known to the registry.
    case unknownAgent(String)
    /// The registry was shut down.
    case shutDown

    /// One line.
    public var description: String {
        switch self {
        case .invalidAgent(let m): return "invalid agent: \(m)"
        case .unknownAgent(let id): return "agent \(id) is not registered"
        case .shutDown: return "the registry is shut down"
        }
    }
}
