import FoundationEssentials
import Glibc
import RuntimeCore
import Synchronization

/// Holds the conversation with the running agent: types messages the way its CLI takes them, follows the
/// screen each monitor tick, and publishes turn events on `/events`.
///
/// Thread-safe: HTTP worker threads call ``send(_:state:input:)``, ``interrupt(state:input:)`` and
/// ``messages(after:)``; the supervisor's monitor task calls ``tick(now:state:)`` every 100 ms.
public final class ConversationDriver: Sendable {
    /// How a message went.
    public enum SendResult: Sendable, Equatable {
        /// Typed and submitted: the user message and its turn.
        case started(ConversationMessage, turnId: Int)
        /// The agent is not in `running` (starting, waiting for a login, exited).
        case notRunning
        /// A turn is in progress or the screen is still changing.
        case busy
        /// The agent did not read the typed input (its input queue stayed full).
        case backlog
    }

    /// Turn counts and time, for `/metrics`.
    public struct Counts: Sendable, Equatable {
        /// Turns that ended, by outcome: `completed`, `failed`, `interrupted`.
        public var byResult: [String: Int] = [:]
        /// Seconds spent in turns that ended.
        public var seconds: Double = 0
    }

    private struct State: Sendable {
        var conversation: Conversation
        var published: Activity = .stable
        var counts = Counts()
    }

    /// The profile in force.
    public let profile: ConversationProfile
    private let hub: OutputHub
    private let agentId: String
    private let state: Mutex<State>
    private let sequence = Atomic<Int>(0)
    private let activityChanged: @Sendable () -> Void

    /// `activityChanged` runs (outside any lock) when stable/running flips, so the status on `/events` follows.
    init(profile: ConversationProfile, hub: OutputHub, agentId: String, activityChanged: @escaping @Sendable () -> Void)
        throws(SupervisorError)
    {
        self.profile = profile
        self.hub = hub
        self.agentId = agentId
        self.activityChanged = activityChanged
        state = Mutex(State(conversation: try Conversation(profile: profile)))
    }

    /// `stable` or `running` now.
    public func activity(now: Date = Date()) -> Activity { state.withLock { $0.conversation.activity(now: now) } }

    /// Whether a turn is in progress.
    public var turnInProgress: Bool { state.withLock { $0.conversation.turnInProgress } }

    /// Messages after `id`.
    public func messages(after id: Int?) -> [ConversationMessage] { state.withLock { $0.conversation.messages(after: id) } }

    /// Turn counts so far.
    public var counts: Counts { state.withLock { $0.counts } }

    /// Types `content` and submits it. Blocks the calling (server) thread for the profile's submit delay.
    public func send(_ content: String, state agentState: AgentState, input: (Data) -> Supervisor.InputResult) -> SendResult {
        guard agentState == .running else { return .notRunning }
        let screen = hub.screenText
        let now = Date()
        let begun = state.withLock { s in try? s.conversation.begin(content, screen: screen, now: now) }
        guard let (message, event) = begun else { return .busy }
        publish(event)
        switch input(Data(profile.typing(content))) {
        case .accepted: break
        case .notRunning: abort("the agent stopped before the message was typed"); return .notRunning
        case .backlog: abort("the agent did not read the message"); return .backlog
        }
        usleep(UInt32(profile.submitDelay.inSeconds * 1_000_000))
        _ = input(Data(profile.submit))
        return .started(message, turnId: event.turnId)
    }

    /// Sends the CLI's interrupt key; a turn in progress ends as `turn.interrupted` with what it showed so far.
    /// False when no agent runs.
    public func interrupt(state agentState: AgentState, input: (Data) -> Supervisor.InputResult) -> Bool {
        guard agentState == .running || agentState == .loginRequired, input(Data(profile.interrupt)) == .accepted else { return false }
        let screen = hub.screenText
        let now = Date()
        let event = state.withLock { s in s.conversation.interrupted(screen: screen, now: now) }
        if let event { publish(event) }
        return true
    }

    /// One monitor pass: follows the screen while the agent runs, ends a turn it can no longer finish.
    func tick(now: Date, state agentState: AgentState) {
        guard agentState == .running else { return abort("the agent left the running state (\(agentState.rawValue))") }
        let version = hub.version
        // The screen text is built only when something may need it: a change, or a turn in progress.
        let screen = state.withLock { $0.conversation.needsScreen(version: version) } ? hub.screenText : ""
        let (events, flipped) = state.withLock { s -> ([TurnEvent], Bool) in
            let events = s.conversation.observe(screen: screen, version: version, now: now)
            let activity = s.conversation.activity(now: now)
            defer { s.published = activity }
            return (events, activity != s.published)
        }
        for e in events { publish(e) }
        if flipped { activityChanged() }
    }

    private func abort(_ reason: String) {
        let now = Date()
        if let event = state.withLock({ $0.conversation.abort(reason, now: now) }) { publish(event) }
    }

    /// Sends a turn event to every `/events` stream (`event: <name>`, JSON data with `agentId`, `turnId`, `seq`)
    /// and counts finished turns.
    private func publish(_ event: TurnEvent) {
        var fields = event.fields
        fields["agentId"] = .string(agentId)
        fields["turnId"] = .int(Int64(event.turnId))
        fields["seq"] = .int(Int64(sequence.add(1, ordering: .relaxed).newValue))
        if let result = ["turn.completed": "completed", "turn.failed": "failed", "turn.interrupted": "interrupted"][event.name] {
            state.withLock { s in
                s.counts.byResult[result, default: 0] += 1
                s.counts.seconds += event.duration ?? 0
            }
        }
        hub.broadcastEvent(event.name, JSON.object(fields).serialized())
    }
}
