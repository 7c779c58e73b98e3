import Glibc
import Synchronization
import XCTest

@testable import RuntimeCore

/// Dedicated pthreads and the condition they wait on.
final class ThreadsTests: XCTestCase {
    func testThreadRunsOffThePoolUnderItsKernelName() throws {
        let done = ThreadCondition()
        let seen = Mutex<String?>(nil)
        startThread("a-rather-long-thread-name") {
            let fd = open("/proc/thread-self/comm", O_RDONLY)
            var buf = [UInt8](repeating: 0, count: 32)
            let n = read(fd, &buf, buf.count)
            close(fd)
            let name = String(decoding: buf.prefix(max(0, n)), as: UTF8.self).trimmingWhitespace()
            done.withLock { seen.withLock { $0 = name } }
            done.broadcast()
        }
        let deadline = Date().addingTimeInterval(10)
        let name: String? = done.withLock {
            while seen.withLock({ $0 }) == nil, done.wait(until: deadline) {}
            return seen.withLock { $0 }
        }
        XCTAssertEqual(name, "a-rather-long-t", "Linux keeps the first 15 bytes")
    }

    func testThreadBlocksSignalsAndTheCreatorKeepsItsMask() {
        let c = ThreadCondition()
        let blocked = Mutex<[Int32]?>(nil)
        startThread("masked") {
            var mask = sigset_t()
            pthread_sigmask(SIG_BLOCK, nil, &mask)
            let set = [SIGCHLD, SIGTERM, SIGINT, SIGPIPE].filter { sigismember(&mask, $0) == 1 }
            c.withLock { blocked.withLock { $0 = set } }
            c.broadcast()
        }
        let deadline = Date().addingTimeInterval(10)
        let set: [Int32]? = c.withLock {
            while blocked.withLock({ $0 }) == nil, c.wait(until: deadline) {}
            return blocked.withLock { $0 }
        }
        XCTAssertEqual(set, [SIGCHLD, SIGTERM, SIGINT, SIGPIPE], "process signals go to the threads that wait for them")
        var mine = sigset_t()
        pthread_sigmask(SIG_BLOCK, nil, &mine)
        XCTAssertEqual(sigismember(&mine, SIGCHLD), 0, "the creating thread's mask is restored")
    }

    func testWaitTimesOutAtTheDeadlineAndWakesOnBroadcast() {
        let c = ThreadCondition()
        let start = Date()
        let woken = c.withLock { c.wait(until: start.addingTimeInterval(0.05)) }
        XCTAssertFalse(woken, "nobody signalled")
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.045)

        let flag = Atomic<Bool>(false)
        startThread("setter") {
            c.withLock { flag.store(true, ordering: .relaxed) }
            c.broadcast()
        }
        let deadline = Date().addingTimeInterval(10)
        c.withLock {
            while !flag.load(ordering: .relaxed), c.wait(until: deadline) {}
        }
        XCTAssertTrue(flag.load(ordering: .relaxed))
    }
}
