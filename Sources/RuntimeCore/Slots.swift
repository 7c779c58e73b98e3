import Synchronization

/// A fixed number of places (open streams, attached viewers) taken and given back from any thread.
///
/// Taking is one atomic step, so two callers racing for the last place cannot both win; a caller that got
/// `true` from ``take()`` must ``give()`` once when it is done.
public final class Slots: Sendable {
    /// How many places there are.
    public let capacity: Int
    private let taken = Atomic<Int>(0)

    /// Creates `capacity` free places.
    public init(capacity: Int) { self.capacity = capacity }

    /// Takes a place; false (and nothing taken) when all are taken.
    public func take() -> Bool {
        if taken.add(1, ordering: .relaxed).newValue <= capacity { return true }
        taken.subtract(1, ordering: .relaxed)
        return false
    }

    /// Gives a taken place back.
    public func give() { taken.subtract(1, ordering: .relaxed) }

    /// Places taken now.
    public var inUse: Int { taken.load(ordering: .relaxed) }
}
