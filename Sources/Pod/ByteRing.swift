/// A fixed-capacity ring of the most recent bytes written (the raw scrollback replayed to new viewers).
///
/// Storage grows with the output until it reaches the capacity (an idle agent's supervisor holds only the
/// little it printed), then stays fixed and wraps. Not thread-safe: ``OutputHub`` guards it.
struct ByteRing: Sendable {
    /// Maximum bytes kept.
    let capacity: Int
    private var storage: [UInt8]
    private var start = 0
    /// Bytes currently held (at most ``capacity``).
    private(set) var count = 0
    /// Bytes ever appended.
    private(set) var totalWritten: UInt64 = 0

    /// Creates an empty ring.
    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        storage = []
    }

    /// Appends bytes, dropping the oldest ones beyond the capacity.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        totalWritten &+= UInt64(bytes.count)
        var src = bytes
        if storage.count < capacity {
            // Not yet full: start is 0 and the bytes go on the end, growing geometrically up to the capacity.
            let n = min(src.count, capacity - storage.count)
            let needed = storage.count + n
            if needed > storage.capacity { storage.reserveCapacity(min(capacity, max(needed, 2 * storage.capacity))) }
            storage.append(contentsOf: UnsafeRawBufferPointer(rebasing: src[..<n]))
            count = storage.count
            src = UnsafeRawBufferPointer(rebasing: src[n...])
            if src.isEmpty { return }
        }
        if src.count >= capacity {
            src = UnsafeRawBufferPointer(rebasing: src[(src.count - capacity)...])
            storage.withUnsafeMutableBytes { $0.copyMemory(from: src) }
            start = 0
            count = capacity
            return
        }
        storage.withUnsafeMutableBytes { dst in
            var end = (start + count) % capacity
            var offset = 0
            while offset < src.count {
                let n = min(src.count - offset, capacity - end)
                UnsafeMutableRawBufferPointer(rebasing: dst[end..<(end + n)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: src[offset..<(offset + n)]))
                offset += n
                end = (end + n) % capacity
            }
        }
        let overflow = count + src.count - capacity
        if overflow > 0 {
            start = (start + overflow) % capacity
            count = capacity
        } else {
            count += src.count
        }
    }

    /// Bytes of storage allocated so far (grows to ``capacity`` only as output arrives).
    var allocatedBytes: Int { storage.capacity }

    /// Appends an array of bytes.
    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The held bytes, oldest first.
    func snapshot() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count)
        let first = min(count, capacity - start)
        out += storage[start..<(start + first)]
        if first < count { out += storage[0..<(count - first)] }
        return out
    }

    /// The held bytes starting at a UTF-8 character boundary, so a replay never begins with the tail of a
    /// multi-byte character that fell off the front.
    func snapshotAtCharacterBoundary() -> [UInt8] {
        var bytes = snapshot()
        guard count == capacity else { return bytes }
        var skip = 0
        while skip < min(3, bytes.count), bytes[skip] & 0xC0 == 0x80 { skip += 1 }
        if skip > 0 { bytes.removeFirst(skip) }
        return bytes
    }
}
