import Foundation
import RuntimeCore
import Synchronization
import AgentTestSupport
import XCTest

@testable import Operator

/// A reconciler that answers from a script and counts calls.
final class ScriptedReconciler: Reconciler, @unchecked Sendable {
    let calls = Mutex([String: Int]())
    let script: @Sendable (String, Int) -> Result<ReconcileResult, ReconcileError>

    init(_ script: @escaping @Sendable (String, Int) -> Result<ReconcileResult, ReconcileError>) { self.script = script }

    func reconcile(_ request: ReconcileRequest) async throws(ReconcileError) -> ReconcileResult {
        let n = calls.withLock { c -> Int in
            c[request.key, default: 0] += 1
            return c[request.key]!
        }
        return try script(request.key, n).get()
    }

    func count(_ key: String) -> Int { calls.withLock { $0[key] ?? 0 } }
}

final class ControllerTests: XCTestCase {
    func run(_ reconciler: ScriptedReconciler, keys: [String], metrics: MetricsRegistry, until: @escaping () -> Bool) async -> Bool {
        let queue = WorkQueue(name: "t", rateLimiter: ItemExponentialRateLimiter(base: .milliseconds(5), max: .milliseconds(100)),
                              metrics: metrics)
        let controller = Controller(name: "t", queue: queue, reconciler: reconciler, workers: 3, metrics: metrics, logger: quietLogger)
        let task = Task { await controller.run() }
        for k in keys { queue.add(k) }
        let ok = await eventually(.seconds(10), every: .milliseconds(10)) { until() }
        try? await Task.sleep(for: .milliseconds(100))
        queue.shutDown()
        await task.value
        return ok
    }

    func testErrorsRetryWithBackoffUntilSuccess() async {
        let m = MetricsRegistry()
        let r = ScriptedReconciler { _, n in n < 4 ? .failure(.transient("not yet")) : .success(.done) }
        let ok = await run(r, keys: ["ns/a"], metrics: m) { r.count("ns/a") >= 4 }
        XCTAssertTrue(ok)
        XCTAssertEqual(r.count("ns/a"), 4, "no more calls after the success")
        let text = m.exposition()
        XCTAssertTrue(text.contains(#"controller_runtime_reconcile_total{controller="t",result="error"} 3"#), text)
        XCTAssertTrue(text.contains(#"controller_runtime_reconcile_total{controller="t",result="success"} 1"#), text)
        XCTAssertTrue(text.contains(#"controller_runtime_reconcile_errors_total{controller="t"} 3"#), text)
        XCTAssertTrue(text.contains(#"controller_runtime_reconcile_time_seconds_count{controller="t"} 4"#), text)
        XCTAssertTrue(text.contains(#"workqueue_retries_total{name="t",controller="t"} 3"#), text)
    }

    func testTerminalErrorsAreNotRetried() async {
        let m = MetricsRegistry()
        let r = ScriptedReconciler { _, _ in .failure(.terminal("bad object")) }
        _ = await run(r, keys: ["ns/a"], metrics: m) { r.count("ns/a") >= 1 }
        try? await Task.sleep(for: .milliseconds(200))
        XCTAssertEqual(r.count("ns/a"), 1)
        XCTAssertTrue(m.exposition().contains(#"controller_runtime_terminal_reconcile_errors_total{controller="t"} 1"#))
    }

    func testRequeueAfterAndRequeue() async {
        let m = MetricsRegistry()
        let r = ScriptedReconciler { key, n in
            if key == "ns/after" { return .success(n < 3 ? .after(.milliseconds(30)) : .done) }
            return .success(n < 3 ? .requeueNow : .done)
        }
        let ok = await run(r, keys: ["ns/after", "ns/requeue"], metrics: m) { r.count("ns/after") >= 3 && r.count("ns/requeue") >= 3 }
        XCTAssertTrue(ok)
        let text = m.exposition()
        XCTAssertTrue(text.contains(#"controller_runtime_reconcile_total{controller="t",result="requeue_after"} 2"#), text)
        XCTAssertTrue(text.contains(#"controller_runtime_reconcile_total{controller="t",result="requeue"} 2"#), text)
        XCTAssertTrue(text.contains(#"controller_runtime_max_concurrent_reconciles{controller="t"} 3"#), text)
    }
}
