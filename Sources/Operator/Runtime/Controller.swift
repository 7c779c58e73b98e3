import Foundation
import RuntimeCore

/// Runs a ``Reconciler`` over a ``WorkQueue`` with a fixed number of workers, the way a controller-runtime
/// controller does, and records controller-runtime's metrics.
///
/// What the outcome of a reconcile does to its key:
///
/// | outcome | queue | `result` label |
/// | --- | --- | --- |
/// | success, nothing asked | forget failures | `success` |
/// | `requeueAfter: d` | forget failures, add after `d` | `requeue_after` |
/// | `requeue: true` | add rate-limited (backoff) | `requeue` |
/// | transient error | add rate-limited (backoff) | `error` |
/// | terminal error | forget; waits for the next change | `error` (+ terminal counter) |
public final class Controller: Sendable {
    /// The controller's name (metrics label, logs).
    public let name: String
    /// The queue workers take keys from.
    public let queue: WorkQueue
    /// What each key is handed to.
    public let reconciler: any Reconciler
    /// How many keys are reconciled at once (`--max-concurrent-reconciles`).
    public let workers: Int
    private let logger: Logger
    private let total: Counter?
    private let errors: Counter?
    private let terminal: Counter?
    private let time: Histogram?
    private let active: Gauge?

    /// Creates a controller; call ``run()`` to start it.
    public init(name: String, queue: WorkQueue, reconciler: any Reconciler, workers: Int,
                metrics: MetricsRegistry? = nil, logger: Logger = Logger(label: "controller")) {
        self.name = name
        self.queue = queue
        self.reconciler = reconciler
        self.workers = max(1, workers)
        self.logger = logger.with(["controller": .string(name)])
        total = metrics?.counter(MetricNames.reconcileTotal, help: "Total number of reconciliations per controller",
                                 labelNames: ["controller", "result"])
        errors = metrics?.counter(MetricNames.reconcileErrors, help: "Total number of reconciliation errors per controller",
                                  labelNames: ["controller"])
        terminal = metrics?.counter(MetricNames.reconcileTerminalErrors,
                                    help: "Total number of terminal reconciliation errors per controller",
                                    labelNames: ["controller"])
        time = metrics?.histogram(MetricNames.reconcileTime, help: "Length of time per reconciliation per controller",
                                  labelNames: ["controller"], buckets: MetricNames.reconcileBuckets)
        active = metrics?.gauge(MetricNames.activeWorkers, help: "Number of currently used workers per controller",
                                labelNames: ["controller"])
        metrics?.gauge(MetricNames.maxConcurrentReconciles, help: "Maximum number of concurrent reconciles per controller",
                       labelNames: ["controller"]).set(Double(self.workers), labels: [name])
        // Series exist from the start, as in controller-runtime, so rate() works on the first error.
        for r in ["success", "error", "requeue", "requeue_after"] { total?.inc(0, labels: [name, r]) }
        errors?.inc(0, labels: [name])
        terminal?.inc(0, labels: [name])
        active?.set(0, labels: [name])
    }

    /// Runs the workers until the queue shuts down (or the calling task is cancelled) and they finish
    /// their current keys.
    public func run() async {
        logger.info("starting workers", ["workers": .int(Int64(workers))])
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask { await self.worker() }
            }
        }
        logger.info("workers stopped")
    }

    private func worker() async {
        while let key = await queue.get() {
            active?.inc(labels: [name])
            await process(key)
            active?.dec(labels: [name])
            queue.done(key)
        }
    }

    /// Reconciles one key and files the outcome (exposed for tests that drive a controller by hand).
    public func process(_ key: String) async {
        let request = ReconcileRequest(key: key)
        let start = ContinuousClock.now
        let outcome: Result<ReconcileResult, ReconcileError>
        do throws(ReconcileError) {
            outcome = .success(try await reconciler.reconcile(request))
        } catch {
            outcome = .failure(error)
        }
        time?.observe((ContinuousClock.now - start).inSeconds, labels: [name])
        switch outcome {
        case .failure(let error):
            errors?.inc(labels: [name])
            total?.inc(labels: [name, "error"])
            if error.isTerminal {
                terminal?.inc(labels: [name])
                queue.forget(key)
                logger.warning("reconcile failed permanently; waiting for a change", ["key": .string(key), "error": .string(error.description)])
            } else {
                queue.addRateLimited(key)
                logger.info("reconcile failed; retrying with backoff",
                            ["key": .string(key), "error": .string(error.description), "retries": .int(Int64(queue.numRequeues(key)))])
            }
        case .success(let result):
            if let after = result.requeueAfter, after > .zero {
                queue.forget(key)
                queue.addAfter(key, after)
                total?.inc(labels: [name, "requeue_after"])
            } else if result.requeue {
                queue.addRateLimited(key)
                total?.inc(labels: [name, "requeue"])
            } else {
                queue.forget(key)
                total?.inc(labels: [name, "success"])
            }
        }
    }
}
