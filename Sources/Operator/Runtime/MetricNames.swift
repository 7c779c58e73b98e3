import Foundation
import RuntimeCore

/// Every metric name the operator exports (CONTRACT.md §7), in one place so dashboards, tests and code
/// agree. The controller-runtime names and labels are kept as controller-runtime spells them, so
/// existing dashboards work unchanged.
public enum MetricNames {
    /// Reconciles per controller and result (`success`, `error`, `requeue`, `requeue_after`).
    public static let reconcileTotal = "controller_runtime_reconcile_total"
    /// Reconciles that returned an error.
    public static let reconcileErrors = "controller_runtime_reconcile_errors_total"
    /// Reconciles that returned a terminal error (not retried until the object changes).
    public static let reconcileTerminalErrors = "controller_runtime_terminal_reconcile_errors_total"
    /// Reconcile latency (histogram).
    public static let reconcileTime = "controller_runtime_reconcile_time_seconds"
    /// Workers per controller.
    public static let maxConcurrentReconciles = "controller_runtime_max_concurrent_reconciles"
    /// Workers busy right now.
    public static let activeWorkers = "controller_runtime_active_workers"
    /// Keys waiting in the queue.
    public static let workqueueDepth = "workqueue_depth"
    /// Adds handled by the queue.
    public static let workqueueAdds = "workqueue_adds_total"
    /// Rate-limited re-adds.
    public static let workqueueRetries = "workqueue_retries_total"
    /// Time from add to a worker taking the key (histogram).
    public static let workqueueQueueDuration = "workqueue_queue_duration_seconds"
    /// Time a worker spent on a key (histogram).
    public static let workqueueWorkDuration = "workqueue_work_duration_seconds"
    /// Seconds of work in progress not yet done.
    public static let workqueueUnfinishedWork = "workqueue_unfinished_work_seconds"
    /// Age of the longest-running piece of work.
    public static let workqueueLongestRunning = "workqueue_longest_running_processor_seconds"
    /// Kubernetes API requests (registered by KubeClient).
    public static let restClientRequests = "rest_client_requests_total"
    /// 1 while this process holds the leader lease.
    public static let leaderElectionMasterStatus = "leader_election_master_status"
    /// Sessions per namespace, phase and agent type.
    public static let agentSessions = "agent_sessions"
    /// One series per session, value 1 (join key for the others).
    public static let agentSessionInfo = "agent_session_info"
    /// When each session's pod started (unix seconds).
    public static let agentSessionStartTime = "agent_session_start_time_seconds"
    /// Seconds sessions have spent Ready, per namespace, workspace and agent type (billing).
    public static let agentSessionReadySeconds = "agent_session_ready_seconds_total"
    /// Effective resource requests per session (CPU in cores, memory in bytes).
    public static let agentSessionResourceRequests = "agent_session_resource_requests"
    /// Registered agents per namespace (registered by the Registry module).
    public static let agentRegistryRegistered = "agent_registry_registered"
    /// Failed lease renewals (registered by the Registry module).
    public static let agentRegistryKeepaliveFailures = "agent_registry_keepalive_failures_total"
    /// Supervisor `/status` checks by result (`success`, `failure`, `timeout`).
    public static let agentHealthChecks = "agent_health_checks_total"

    /// controller-runtime's reconcile latency buckets.
    public static let reconcileBuckets: [Double] = [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0,
        1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
    ]
    /// client-go's workqueue latency buckets: 10 ns to 10 s, powers of ten.
    public static let workqueueBuckets: [Double] = (0..<10).map { 1e-8 * pow(10, Double($0)) }
}
