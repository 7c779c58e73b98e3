import XCTest

@testable import Pod

/// The raw scrollback ring.
final class ByteRingTests: XCTestCase {
    func testKeepsTheLastBytes() {
        var r = ByteRing(capacity: 8)
        r.append(Array("abc".utf8))
        XCTAssertEqual(String(decoding: r.snapshot(), as: UTF8.self), "abc")
        r.append(Array("defgh".utf8))
        r.append(Array("ij".utf8))
        XCTAssertEqual(String(decoding: r.snapshot(), as: UTF8.self), "cdefghij")
        r.append(Array("0123456789".utf8))  // larger than the ring
        XCTAssertEqual(String(decoding: r.snapshot(), as: UTF8.self), "23456789")
        XCTAssertEqual(r.totalWritten, 20)
        XCTAssertEqual(r.count, 8)
    }

    func testSnapshotStartsAtCharacterBoundary() {
        var r = ByteRing(capacity: 4)
        r.append(Array("a中b".utf8))  // 61 E4 B8 AD 62: the ring keeps E4 B8 AD 62
        XCTAssertEqual(r.count, 4)
        XCTAssertEqual(String(decoding: r.snapshotAtCharacterBoundary(), as: UTF8.self), "中b")
        r = ByteRing(capacity: 4)
        r.append(Array("中xyz".utf8))  // keeps AD 78 79 7A: the lone continuation byte is skipped
        XCTAssertEqual(String(decoding: r.snapshotAtCharacterBoundary(), as: UTF8.self), "xyz")
    }

    func testStorageGrowsWithTheOutputThenWraps() {
        var r = ByteRing(capacity: 1 << 20)
        r.append(Array("prompt> ".utf8))
        XCTAssertLessThan(r.allocatedBytes, 4096, "an idle agent's scrollback holds only what it printed")
        // Pieces of every size across the first fill and several wraps: always the newest `capacity` bytes.
        var generator = SystemRandomNumberGenerator()
        var all = Array("prompt> ".utf8)
        var ring = ByteRing(capacity: 10_000)
        ring.append(all)
        var n = 0
        while all.count < 45_000 {
            let piece = (0..<Int.random(in: 0...3_000, using: &generator)).map { UInt8(truncatingIfNeeded: n &+ $0) }
            n += 1
            all += piece
            ring.append(piece)
            XCTAssertEqual(ring.snapshot(), Array(all.suffix(10_000)))
            XCTAssertLessThanOrEqual(ring.allocatedBytes, 10_000 * 2)
        }
        XCTAssertEqual(ring.count, 10_000)
        XCTAssertEqual(ring.totalWritten, UInt64(all.count))
    }
}
