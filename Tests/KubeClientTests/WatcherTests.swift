import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

func pod(_ name: String, rv: String, ns: String = "a", labels: [String: String]? = nil, owner: String? = nil) -> Pod {
    Pod(metadata: ObjectMeta(name: name, namespace: ns, uid: "uid-" + name, resourceVersion: rv, labels: labels,
                             ownerReferences: owner.map { [OwnerReference(apiVersion: "v1", kind: "X", name: "o", uid: $0)] }))
}

final class WatcherMachineTests: XCTestCase {
    typealias M = WatcherMachine<Pod>

    func describe(_ actions: [M.Action]) -> [String] {
        actions.map {
            switch $0 {
            case .list: return "list"
            case .watch(let rv): return "watch(\(rv))"
            case .sleep(let d): return "sleep(\(d.inSeconds))"
            case .emit(let e):
                switch e {
                case .restarted(let items): return "restarted(\(items.map(\.name).joined(separator: ",")))"
                case .added(let o): return "added(\(o.name))"
                case .modified(let o): return "modified(\(o.name))"
                case .deleted(let o): return "deleted(\(o.name))"
                }
            }
        }
    }

    func testListThenWatchTracksVersions() {
        var m = M()
        XCTAssertEqual(m.state, .initial)
        XCTAssertEqual(describe(m.handle(.start)), ["list"])
        XCTAssertEqual(m.state, .listing)
        XCTAssertEqual(describe(m.handle(.listed(items: [pod("a", rv: "3")], resourceVersion: "10"))), ["restarted(a)", "watch(10)"])
        XCTAssertEqual(m.state, .watching(resourceVersion: "10"))
        XCTAssertEqual(describe(m.handle(.event(.added(pod("b", rv: "11"))))), ["added(b)"])
        XCTAssertEqual(describe(m.handle(.event(.modified(pod("b", rv: "12"))))), ["modified(b)"])
        XCTAssertEqual(describe(m.handle(.event(.bookmark(resourceVersion: "20")))), [])
        XCTAssertEqual(m.lastResourceVersion, "20")
        XCTAssertEqual(describe(m.handle(.event(.deleted(pod("b", rv: "21"))))), ["deleted(b)"])
        XCTAssertEqual(m.state, .watching(resourceVersion: "21"))
    }

    func testDroppedWatchBacksOffAndResumesFromLastVersion() {
        var m = M()
        _ = m.handle(.start)
        _ = m.handle(.listed(items: [], resourceVersion: "10"))
        _ = m.handle(.event(.bookmark(resourceVersion: "15")))
        let err = KubeError.transport(.transport(code: 56, message: "reset"))
        XCTAssertEqual(describe(m.handle(.watchFailed(err, healthy: false), random: 0)), ["sleep(0.8)"])
        XCTAssertEqual(m.state, .backoff(attempt: 1, resume: .watch(resourceVersion: "15")))
        XCTAssertEqual(describe(m.handle(.backoffElapsed)), ["watch(15)"])
        // Consecutive failures double the delay, up to 30 s.
        XCTAssertEqual(describe(m.handle(.watchFailed(err, healthy: false), random: 0)), ["sleep(1.6)"])
        _ = m.handle(.backoffElapsed)
        XCTAssertEqual(describe(m.handle(.watchFailed(err, healthy: false), random: 0)), ["sleep(3.2)"])
        for _ in 0..<10 {
            _ = m.handle(.backoffElapsed)
            _ = m.handle(.watchFailed(err, healthy: false), random: 0)
        }
        guard case .backoff(let attempt, _) = m.state else { return XCTFail() }
        XCTAssertEqual(attempt, 13)
        _ = m.handle(.backoffElapsed)
        XCTAssertEqual(describe(m.handle(.watchFailed(err, healthy: false), random: 0)), ["sleep(30.0)"])
        // A healthy watch resets the backoff.
        _ = m.handle(.backoffElapsed)
        XCTAssertEqual(describe(m.handle(.watchFailed(err, healthy: true), random: 0)), ["sleep(0.8)"])
        XCTAssertEqual(m.failures, 1)
    }

    func testServerTimeoutReconnectsImmediatelyWhenHealthy() {
        var m = M()
        _ = m.handle(.start)
        _ = m.handle(.listed(items: [], resourceVersion: "10"))
        _ = m.handle(.event(.added(pod("x", rv: "11"))))
        XCTAssertEqual(describe(m.handle(.watchEnded(healthy: true))), ["watch(11)"])
        // A watch that ends at once without events is not healthy: back off instead of spinning.
        XCTAssertEqual(describe(m.handle(.watchEnded(healthy: false), random: 0)), ["sleep(0.8)"])
    }

    func testGoneRelistsWithoutBackoff() {
        var m = M()
        _ = m.handle(.start)
        _ = m.handle(.listed(items: [pod("a", rv: "1")], resourceVersion: "10"))
        XCTAssertEqual(describe(m.handle(.event(.error(Status(reason: .expired, code: 410))))), ["list"])
        XCTAssertEqual(m.state, .listing)
        XCTAssertEqual(describe(m.handle(.listed(items: [pod("b", rv: "60")], resourceVersion: "60"))), ["restarted(b)", "watch(60)"])
        // 410 when opening the watch does the same.
        XCTAssertEqual(describe(m.handle(.watchFailed(.api(code: 410, status: Status(reason: .gone, code: 410)), healthy: false))), ["list"])
        // Other ERROR events back off and resume.
        _ = m.handle(.listed(items: [], resourceVersion: "70"))
        XCTAssertEqual(describe(m.handle(.event(.error(Status(reason: .internalError, code: 500))), random: 0)), ["sleep(0.8)"])
        XCTAssertEqual(m.state, .backoff(attempt: 1, resume: .watch(resourceVersion: "70")))
    }

    func testListFailureBacksOffAndRelists() {
        var m = M()
        _ = m.handle(.start)
        XCTAssertEqual(describe(m.handle(.listFailed(.api(code: 503, status: Status())), random: 0)), ["sleep(0.8)"])
        XCTAssertEqual(m.state, .backoff(attempt: 1, resume: .list))
        XCTAssertEqual(describe(m.handle(.backoffElapsed)), ["list"])
        XCTAssertEqual(describe(m.handle(.listFailed(.api(code: 503, status: Status())), random: 0)), ["sleep(1.6)"])
    }

    func testInputsOutOfStateAreIgnored() {
        var m = M()
        XCTAssertTrue(m.handle(.event(.added(pod("a", rv: "1")))).isEmpty)
        XCTAssertTrue(m.handle(.backoffElapsed).isEmpty)
        XCTAssertEqual(m.state, .initial)
    }
}

/// A scripted source: each list and watch call takes the next scripted answer.
final class ScriptedSource: @unchecked Sendable {
    enum WatchScript { case events([WatchEvent<Pod>], end: KubeError?), fail(KubeError) }
    private let lock = NSLock()
    var lists: [Result<([Pod], String), KubeError>] = []
    var watches: [WatchScript] = []
    private(set) var calls: [String] = []

    var source: WatcherSource<Pod> {
        WatcherSource<Pod>(
            list: { () async throws(KubeError) -> (items: [Pod], resourceVersion: String) in
                let next = self.lock.withLock { () -> Result<([Pod], String), KubeError>? in
                    self.calls.append("list")
                    return self.lists.isEmpty ? nil : self.lists.removeFirst()
                }
                guard let next else { try? await Task.sleep(for: .seconds(3600)); throw KubeError.cancelled }
                let (items, rv) = try next.get()
                return (items, rv)
            },
            watch: { (rv: String) async throws(KubeError) -> WatchStream<Pod> in
                let next = self.lock.withLock { () -> WatchScript? in
                    self.calls.append("watch(\(rv))")
                    return self.watches.isEmpty ? nil : self.watches.removeFirst()
                }
                switch next {
                case nil:
                    // Nothing scripted: hang like an idle watch.
                    return WatchStream(events: AsyncThrowingStream { _ in })
                case .fail(let e):
                    throw e
                case .events(let events, let end):
                    return WatchStream(events: AsyncThrowingStream { c in
                        for e in events { c.yield(e) }
                        c.finish(throwing: end)
                    })
                }
            })
    }

    var callLog: [String] { lock.withLock { calls } }
}

final class WatcherTests: XCTestCase {
    func names(_ e: WatcherEvent<Pod>) -> String {
        switch e {
        case .restarted(let items): return "restarted(\(items.map(\.name).sorted().joined(separator: ",")))"
        case .added(let o): return "added(\(o.name)@\(o.metadata.resourceVersion ?? ""))"
        case .modified(let o): return "modified(\(o.name)@\(o.metadata.resourceVersion ?? ""))"
        case .deleted(let o): return "deleted(\(o.name))"
        }
    }

    func testResumesAfterDropAndRelistsAfterGone() async throws {
        let s = ScriptedSource()
        s.lists = [.failure(.api(code: 500, status: Status())), .success(([pod("a", rv: "5")], "10")), .success(([pod("c", rv: "80")], "80"))]
        s.watches = [
            .events([.added(pod("b", rv: "11")), .bookmark(resourceVersion: "15")], end: .transport(.transport(code: 56, message: "reset"))),
            .fail(.transport(.connectionFailed("refused"))),
            .events([.modified(pod("b", rv: "16")), .error(Status(reason: .expired, code: 410))], end: nil),
        ]
        let sleeps = Recorder<Duration>()
        let watcher = Watcher(source: s.source, logger: quietLogger, sleep: { d in sleeps.append(d) })
        var seen: [String] = []
        for await e in watcher {
            seen.append(names(e))
            if seen.count == 4 { break }
        }
        XCTAssertEqual(seen, ["restarted(a)", "added(b@11)", "modified(b@16)", "restarted(c)"])
        XCTAssertEqual(Array(s.callLog.prefix(6)), ["list", "list", "watch(10)", "watch(15)", "watch(15)", "list"])
        XCTAssertEqual(sleeps.items.count, 3, "list failure, dropped watch, refused reconnect")
        XCTAssertTrue(sleeps.items.allSatisfy { $0 <= .seconds(30) })
    }

    func testHealthyWatchEndReconnectsWithoutSleeping() async throws {
        let s = ScriptedSource()
        s.lists = [.success(([], "1"))]
        s.watches = [
            .events([.added(pod("a", rv: "2"))], end: nil),
            .events([.added(pod("b", rv: "3"))], end: nil),
        ]
        let sleeps = Recorder<Duration>()
        var seen: [String] = []
        for await e in Watcher(source: s.source, logger: quietLogger, sleep: { d in sleeps.append(d) }) {
            seen.append(names(e))
            if seen.count == 3 { break }
        }
        XCTAssertEqual(seen, ["restarted()", "added(a@2)", "added(b@3)"])
        XCTAssertEqual(Array(s.callLog.prefix(3)), ["list", "watch(1)", "watch(2)"])
        XCTAssertTrue(sleeps.items.isEmpty)
    }

    func testCancellationEndsTheSequence() async throws {
        let s = ScriptedSource()
        s.lists = [.success(([pod("a", rv: "1")], "1"))]
        let watcher = Watcher(source: s.source, logger: quietLogger)
        let task = Task {
            var n = 0
            for await _ in watcher { n += 1 }
            return n
        }
        await assertEventually { s.callLog.contains("watch(1)") }
        task.cancel()
        let n = await task.value
        XCTAssertEqual(n, 1)
    }
}
