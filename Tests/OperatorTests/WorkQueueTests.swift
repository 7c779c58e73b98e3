import Foundation
import RuntimeCore
import Synchronization
import AgentTestSupport
import XCTest

@testable import Operator

final class WorkQueueTests: XCTestCase {
    func testDedupWhileQueued() async {
        let q = WorkQueue(name: "t")
        q.add("a")
        q.add("a")
        q.add("b")
        XCTAssertEqual(q.depth, 2)
        let first = await q.get()
        let second = await q.get()
        XCTAssertEqual([first, second], ["a", "b"], "FIFO")
        q.done("a")
        q.done("b")
        XCTAssertEqual(q.depth, 0)
    }

    /// An add while the key is processed is deferred until done, and then delivered once.
    func testReAddDuringProcessingIsDeferred() async {
        let q = WorkQueue(name: "t")
        q.add("a")
        let k = await q.get()
        XCTAssertEqual(k, "a")
        q.add("a")
        q.add("a")
        XCTAssertEqual(q.depth, 0, "not handed to another worker while processing")
        q.done("a")
        XCTAssertEqual(q.depth, 1)
        let again = await q.get()
        XCTAssertEqual(again, "a")
        q.done("a")
        XCTAssertEqual(q.depth, 0)
    }

    /// Many workers, many adds of few keys: a key is never processed by two workers at once, and the last
    /// add of each key is always followed by a processing of it.
    func testNoKeyIsProcessedConcurrently() async {
        let q = WorkQueue(name: "t")
        let box = Counters()
        let workers = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        while let key = await q.get() {
                            let clash = box.inFlight.withLock { !$0.insert(key).inserted }
                            if clash { box.violations.add(1, ordering: .relaxed) }
                            try? await Task.sleep(for: .microseconds(200))
                            box.inFlight.withLock { _ = $0.remove(key) }
                            box.processed.add(1, ordering: .relaxed)
                            q.done(key)
                        }
                    }
                }
            }
        }
        for i in 0..<2000 { q.add("k\(i % 10)"); if i % 50 == 0 { await Task.yield() } }
        let drained = await eventually(.seconds(10), every: .milliseconds(10)) { q.depth == 0 && q.processingCount == 0 }
        XCTAssertTrue(drained)
        q.shutDown()
        await workers.value
        XCTAssertEqual(box.violations.load(ordering: .relaxed), 0)
        XCTAssertLessThan(box.processed.load(ordering: .relaxed), 2000, "dedup coalesced adds")
        XCTAssertGreaterThanOrEqual(box.processed.load(ordering: .relaxed), 10)
    }

    func testAddAfterKeepsTheEarlierTime() async {
        let q = WorkQueue(name: "t")
        q.addAfter("a", .seconds(30))
        q.addAfter("a", .milliseconds(20))
        q.addAfter("a", .seconds(60))
        XCTAssertEqual(q.waitingCount, 1)
        let start = ContinuousClock.now
        let k = await q.get()
        XCTAssertEqual(k, "a")
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(5))
        q.done("a")
    }

    func testRateLimitedAddsBackOffAndForgetResets() async {
        let q = WorkQueue(name: "t", rateLimiter: ItemExponentialRateLimiter(base: .milliseconds(50), max: .seconds(10)))
        q.addRateLimited("a")
        q.addRateLimited("a")
        XCTAssertEqual(q.numRequeues("a"), 2)
        XCTAssertEqual(q.depth, 0, "delayed")
        let k = await q.get()
        XCTAssertEqual(k, "a")
        q.forget("a")
        XCTAssertEqual(q.numRequeues("a"), 0)
        q.done("a")
    }

    func testShutDownWakesWaitingWorkers() async {
        let q = WorkQueue(name: "t")
        let waiter = Task { await q.get() }
        try? await Task.sleep(for: .milliseconds(50))
        q.shutDown()
        let got = await waiter.value
        XCTAssertNil(got)
        q.add("late")
        XCTAssertEqual(q.depth, 0, "adds after shutdown are ignored")
    }

    func testCancelledGetReturnsNil() async {
        let q = WorkQueue(name: "t")
        let waiter = Task { await q.get() }
        try? await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        let got = await waiter.value
        XCTAssertNil(got)
        q.add("a")
        let next = await q.get()
        XCTAssertEqual(next, "a", "the cancelled getter does not swallow keys")
    }

    func testMetrics() async {
        let m = MetricsRegistry()
        let q = WorkQueue(name: "agentsession", metrics: m)
        q.add("a")
        q.add("a")
        q.add("b")
        let text1 = m.exposition()
        XCTAssertTrue(text1.contains(#"workqueue_depth{name="agentsession",controller="agentsession"} 2"#), text1)
        XCTAssertTrue(text1.contains(#"workqueue_adds_total{name="agentsession",controller="agentsession"} 2"#), text1)
        let k = await q.get()
        q.done(k!)
        q.addRateLimited("c")
        let text = m.exposition()
        XCTAssertTrue(text.contains(#"workqueue_retries_total{name="agentsession",controller="agentsession"} 1"#), text)
        XCTAssertTrue(text.contains(#"workqueue_queue_duration_seconds_count{name="agentsession",controller="agentsession"} 1"#), text)
        XCTAssertTrue(text.contains(#"workqueue_work_duration_seconds_count{name="agentsession",controller="agentsession"} 1"#), text)
    }
}

/// Shared counters for concurrency tests.
final class Counters: Sendable {
    let inFlight = Mutex(Set<String>())
    let violations = Atomic<Int>(0)
    let processed = Atomic<Int>(0)
}
