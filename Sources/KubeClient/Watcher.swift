import Foundation
import RuntimeCore

/// What a ``Watcher`` reports.
public enum WatcherEvent<T: Sendable>: Sendable {
    /// A (re)list finished: this is the complete current state. Consumers rebuild from it; it comes
    /// first, and again after every 410 Gone relist.
    case restarted([T])
    /// An object appeared.
    case added(T)
    /// An object changed.
    case modified(T)
    /// An object was removed.
    case deleted(T)
}

/// The pure decision logic of a ``Watcher``: given what happened, which state comes next and what
/// to do. No I/O, no clocks, no randomness of its own, so it is tested by feeding inputs.
///
/// States: `initial -> listing -> watching -> backoff -> (listing | watching)`.
public struct WatcherMachine<T: KubeObject>: Sendable {
    /// Where the watcher is.
    public enum State: Hashable, Sendable {
        /// Not started.
        case initial
        /// A list request is (to be) in flight.
        case listing
        /// A watch from `resourceVersion` is (to be) open.
        case watching(resourceVersion: String)
        /// Waiting before `resume`; `attempt` counts consecutive failures.
        case backoff(attempt: Int, resume: Resume)
    }

    /// What follows a backoff.
    public enum Resume: Hashable, Sendable {
        /// List again.
        case list
        /// Watch again from this version.
        case watch(resourceVersion: String)
    }

    /// What happened.
    public enum Input: Sendable {
        /// Begin.
        case start
        /// The list returned these items at this version.
        case listed(items: [T], resourceVersion: String)
        /// The list failed.
        case listFailed(KubeError)
        /// The watch delivered an event.
        case event(WatchEvent<T>)
        /// The watch could not be opened, or broke; `healthy` when it had been working.
        case watchFailed(KubeError, healthy: Bool)
        /// The server closed the watch normally (its timeout); `healthy` when it had been working.
        case watchEnded(healthy: Bool)
        /// The backoff delay passed.
        case backoffElapsed
    }

    /// What to do.
    public enum Action: Sendable {
        /// List everything.
        case list
        /// Open a watch from this version.
        case watch(resourceVersion: String)
        /// Wait this long, then send `backoffElapsed`.
        case sleep(Duration)
        /// Hand this to the consumer.
        case emit(WatcherEvent<T>)
    }

    /// The current state.
    public private(set) var state: State = .initial
    /// The newest resourceVersion seen (list, events, bookmarks): where a reconnect resumes.
    public private(set) var lastResourceVersion = ""
    /// Consecutive failures since the last healthy watch.
    public private(set) var failures = 0
    /// The reconnect backoff.
    public let backoff: Backoff

    /// A machine in the initial state.
    public init(backoff: Backoff = .watch) { self.backoff = backoff }

    /// Advances the machine. `random` (0..<1) jitters backoff delays.
    public mutating func handle(_ input: Input, random: Double = Double.random(in: 0..<1)) -> [Action] {
        switch (state, input) {
        case (.initial, .start):
            state = .listing
            return [.list]

        case (.listing, .listed(let items, let rv)):
            lastResourceVersion = rv
            state = .watching(resourceVersion: rv)
            return [.emit(.restarted(items)), .watch(resourceVersion: rv)]

        case (.listing, .listFailed):
            return fail(resume: .list, random: random)

        case (.watching, .event(let event)):
            switch event {
            case .added(let o), .modified(let o), .deleted(let o):
                if let rv = o.metadata.resourceVersion, !rv.isEmpty { lastResourceVersion = rv }
                state = .watching(resourceVersion: lastResourceVersion)
                let out: WatcherEvent<T>
                switch event {
                case .added: out = .added(o)
                case .modified: out = .modified(o)
                default: out = .deleted(o)
                }
                return [.emit(out)]
            case .bookmark(let rv):
                if !rv.isEmpty { lastResourceVersion = rv }
                state = .watching(resourceVersion: lastResourceVersion)
                return []
            case .error(let status):
                if Self.isGone(status) {
                    state = .listing
                    return [.list]
                }
                return fail(resume: .watch(resourceVersion: lastResourceVersion), random: random)
            }

        case (.watching, .watchFailed(let error, let healthy)):
            if healthy { failures = 0 }
            if error.isGone {
                state = .listing
                return [.list]
            }
            return fail(resume: .watch(resourceVersion: lastResourceVersion), random: random)

        case (.watching, .watchEnded(let healthy)):
            if healthy {
                failures = 0
                state = .watching(resourceVersion: lastResourceVersion)
                return [.watch(resourceVersion: lastResourceVersion)]
            }
            return fail(resume: .watch(resourceVersion: lastResourceVersion), random: random)

        case (.backoff(_, let resume), .backoffElapsed):
            switch resume {
            case .list:
                state = .listing
                return [.list]
            case .watch(let rv):
                state = .watching(resourceVersion: rv)
                return [.watch(resourceVersion: rv)]
            }

        default:
            // Inputs that do not fit the state (a late event after a relist began) are ignored.
            return []
        }
    }

    private mutating func fail(resume: Resume, random: Double) -> [Action] {
        failures += 1
        state = .backoff(attempt: failures, resume: resume)
        return [.sleep(backoff.delay(attempt: failures - 1, random: random))]
    }

    /// 410 in a watch ERROR event: the resourceVersion is too old.
    static func isGone(_ s: Status) -> Bool { s.code == 410 || s.reason == .gone || s.reason == .expired }
}

/// Where a ``Watcher`` gets its data: a full list, and a watch from a version. Built from a client by
/// ``KubeClient/watcher(_:namespace:labelSelector:fieldSelector:)``, or scripted in tests.
public struct WatcherSource<T: KubeObject>: Sendable {
    /// Lists everything; returns the items and the list's resourceVersion.
    public var list: @Sendable () async throws(KubeError) -> (items: [T], resourceVersion: String)
    /// Opens a watch from a resourceVersion.
    public var watch: @Sendable (String) async throws(KubeError) -> WatchStream<T>

    /// Creates a source.
    public init(list: @escaping @Sendable () async throws(KubeError) -> (items: [T], resourceVersion: String),
                watch: @escaping @Sendable (String) async throws(KubeError) -> WatchStream<T>) {
        self.list = list
        self.watch = watch
    }
}

/// List-then-watch as an endless async sequence of ``WatcherEvent``s: lists, watches from the list's
/// version, tracks the newest version (bookmarks included), resumes from it after a dropped or
/// timed-out watch with jittered backoff (0.8 s doubling to 30 s, reset after a healthy watch), and
/// on 410 Gone relists and emits `restarted` again. Ends only when the consuming task is cancelled.
public struct Watcher<T: KubeObject>: AsyncSequence, Sendable {
    /// The element type.
    public typealias Element = WatcherEvent<T>

    /// The data source.
    public let source: WatcherSource<T>
    /// The reconnect backoff.
    public let backoff: Backoff
    /// A watch counts as healthy (resetting the backoff) once it delivered an event or stayed open this long.
    public let healthyAfter: Duration
    let sleep: @Sendable (Duration) async throws -> Void
    let logger: Logger

    /// Creates a watcher. `sleep` is injectable so tests need not wait.
    public init(source: WatcherSource<T>, backoff: Backoff = .watch, healthyAfter: Duration = .seconds(5),
                logger: Logger = Logger(label: "kubeclient.watcher"),
                sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }) {
        self.source = source
        self.backoff = backoff
        self.healthyAfter = healthyAfter
        self.logger = logger
        self.sleep = sleep
    }

    public func makeAsyncIterator() -> AsyncStream<WatcherEvent<T>>.Iterator {
        let driver = WatcherDriver(watcher: self)
        return AsyncStream(unfolding: { await driver.next() }).makeAsyncIterator()
    }
}

/// Runs the machine's actions. Used by one consumer at a time (the unfolding stream serialises
/// calls), hence the unchecked Sendable.
private final class WatcherDriver<T: KubeObject>: @unchecked Sendable {
    private let watcher: Watcher<T>
    private var machine: WatcherMachine<T>
    private var actions: [WatcherMachine<T>.Action] = []
    private var stream: WatchStream<T>?
    private var iterator: AsyncThrowingStream<WatchEvent<T>, any Error>.AsyncIterator?
    private var watchOpenedAt = ContinuousClock.now
    private var watchEvents = 0

    init(watcher: Watcher<T>) {
        self.watcher = watcher
        machine = WatcherMachine(backoff: watcher.backoff)
        actions = machine.handle(.start)
    }

    deinit { stream?.cancel() }

    private var healthy: Bool { watchEvents > 0 || ContinuousClock.now - watchOpenedAt >= watcher.healthyAfter }

    private func feed(_ input: WatcherMachine<T>.Input) { actions += machine.handle(input) }

    private func closeWatch() {
        stream?.cancel()
        stream = nil
        iterator = nil
    }

    func next() async -> WatcherEvent<T>? {
        while !Task.isCancelled {
            if !actions.isEmpty {
                let action = actions.removeFirst()
                switch action {
                case .emit(let e):
                    return e
                case .list:
                    closeWatch()
                    do {
                        let (items, rv) = try await watcher.source.list()
                        feed(.listed(items: items, resourceVersion: rv))
                    } catch {
                        if error.isCancelled || Task.isCancelled { return nil }
                        watcher.logger.warning("list failed", ["error": .string(error.description)])
                        feed(.listFailed(error))
                    }
                case .watch(let rv):
                    closeWatch()
                    do {
                        let s = try await watcher.source.watch(rv)
                        stream = s
                        iterator = s.makeAsyncIterator()
                        watchOpenedAt = .now
                        watchEvents = 0
                    } catch {
                        if error.isCancelled || Task.isCancelled { return nil }
                        if !error.isGone {
                            watcher.logger.warning("watch failed", ["error": .string(error.description), "resourceVersion": .string(rv)])
                        }
                        feed(.watchFailed(error, healthy: false))
                    }
                case .sleep(let d):
                    closeWatch()
                    do { try await watcher.sleep(d) } catch { return nil }
                    feed(.backoffElapsed)
                }
                continue
            }
            guard var it = iterator else { return nil }
            do {
                let event = try await it.next()
                iterator = it
                if let event {
                    watchEvents += 1
                    feed(.event(event))
                } else {
                    let h = healthy
                    closeWatch()
                    feed(.watchEnded(healthy: h))
                }
            } catch {
                let h = healthy
                closeWatch()
                let e = error as? KubeError ?? .transport(.transport(code: 0, message: "\(error)"))
                if e.isCancelled || Task.isCancelled { return nil }
                watcher.logger.info("watch interrupted", ["error": .string(e.description)])
                feed(.watchFailed(e, healthy: h))
            }
        }
        closeWatch()
        return nil
    }
}

extension KubeClient {
    /// A list-then-watch ``Watcher`` over a typed resource. A nil namespace covers all namespaces.
    public func watcher<T: Resource>(_ type: T.Type, namespace: String? = nil, labelSelector: String? = nil,
                                     fieldSelector: String? = nil) -> Watcher<T> {
        watcher(T.resource, as: T.self, namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector)
    }

    /// A list-then-watch ``Watcher`` over any resource, decoding objects as `T` (a model or `JSON`).
    public func watcher<T: KubeObject>(_ resource: DynamicResource, as type: T.Type, namespace: String? = nil,
                                       labelSelector: String? = nil, fieldSelector: String? = nil) -> Watcher<T> {
        let source = WatcherSource<T>(
            list: { () async throws(KubeError) -> (items: [T], resourceVersion: String) in
                let options = ListOptions(labelSelector: labelSelector, fieldSelector: fieldSelector)
                let path = resource.path(namespace: resource.namespaced ? namespace : nil)
                let list = try await self.pageAll(options) { (o: ListOptions) async throws(KubeError) -> ObjectList<T> in
                    let resp = try await self.send(.init(method: "GET", path: path, query: o.queryItems))
                    return try self.decode(ObjectList<T>.self, from: resp.body)
                }
                return (list.items, list.metadata.resourceVersion ?? "")
            },
            watch: { (rv: String) async throws(KubeError) -> WatchStream<T> in
                // Spread reconnects like client-go: the server ends each watch after 5 to 10 minutes.
                let options = WatchOptions(labelSelector: labelSelector, fieldSelector: fieldSelector, resourceVersion: rv,
                                           allowWatchBookmarks: true, timeoutSeconds: Int.random(in: 300..<600))
                return try await self.watch(resource, as: T.self, namespace: namespace, options: options)
            })
        return Watcher(source: source, logger: logger)
    }
}
