import FoundationEssentials
import RuntimeCore

/// One message of the conversation with the agent (`GET /messages`).
public struct ConversationMessage: Sendable, Equatable {
    /// Who said it.
    public enum Role: String, Sendable { case user, agent }
    /// 1, 2, 3, ... in order.
    public var id: Int
    /// `user` (typed through `POST /message`) or `agent` (the reply read off the screen).
    public var role: Role
    /// The text.
    public var content: String
    /// When it was sent (user) or completed (agent).
    public var time: Date

    /// The JSON form: `{"id", "role", "content", "time"}`.
    public var json: JSON {
        ["id": .int(Int64(id)), "role": .string(role.rawValue), "content": .string(content), "time": .string(Timestamp.iso8601(time))]
    }
}

/// Whether the agent is working: `running` while its screen changes or shows a busy marker, `stable` once it
/// has been quiet for the profile's settle time.
public enum Activity: String, Sendable {
    case stable, running
}

/// What a turn did, for `/events` (`turn.started`, `item.delta`, `turn.completed`, `turn.failed`,
/// `turn.interrupted`).
public struct TurnEvent: Sendable, Equatable {
    /// The event name on `/events`.
    public var name: String
    /// The turn (1, 2, 3, ...).
    public var turnId: Int
    /// Extra fields: `messageId`, `text`, `reply`, `reason`.
    public var fields: [String: JSON]
    /// For an event that ends its turn: how long the turn took (for the metrics, not published).
    public var duration: TimeInterval?
}

/// The conversation state machine: messages, the turn in progress, activity from screen changes.
///
/// Pure and clocked by its caller (the supervisor's monitor, every 100 ms): it never reads a clock or the
/// screen itself, so tests drive it with made-up screens and times.
///
/// A turn: ``begin(_:screen:now:)`` records the user message and the screen before it; each ``observe(screen:version:now:)``
/// notes changes; once the screen changed after the message and then stayed stable, the reply is read off the
/// screen (``ReplyExtractor``) and the turn completes. No change at all within ``reactionTimeout``, or no
/// stable screen within ``turnTimeout``, fails it.
public struct Conversation: Sendable {
    struct Turn: Sendable {
        var id: Int
        var message: String
        var before: String
        var startedAt: Date
        var changed = false
        var sawBusy = false
        var emitted = ""
    }

    /// Why a message cannot start a turn now.
    public enum Refusal: Error, Sendable, Equatable {
        /// A turn is in progress, or the screen is still changing.
        case busy
    }

    /// The messages so far.
    public private(set) var messages: [ConversationMessage] = []
    /// How long after typing a message the screen must have changed.
    public var reactionTimeout: TimeInterval = 15
    /// Longest turn.
    public var turnTimeout: TimeInterval = 600
    /// A stable screen with no reply text yet completes the turn only after this long (the CLI may still be
    /// waiting for its model without a busy marker on screen), unless a busy marker was seen.
    public var emptyReplyGrace: TimeInterval = 5
    let profile: ConversationProfile
    private let extractor: ReplyExtractor
    private var turn: Turn?
    private var turns = 0
    private var lastVersion: UInt64?
    private var lastChangeAt: Date?
    private var busyOnScreen = false

    /// Creates the state machine for a profile; throws on an invalid pattern.
    public init(profile: ConversationProfile) throws(SupervisorError) {
        self.profile = profile
        extractor = try ReplyExtractor(profile: profile)
    }

    /// Whether a turn is in progress.
    public var turnInProgress: Bool { turn != nil }

    /// `running` while the screen changed within the settle time or shows a busy marker.
    public func activity(now: Date) -> Activity {
        if busyOnScreen { return .running }
        guard let last = lastChangeAt else { return .stable }
        return now.timeIntervalSince(last) < profile.settle.inSeconds ? .running : .stable
    }

    /// Records a user message and starts its turn. Refused while a turn runs or the agent is busy.
    public mutating func begin(_ message: String, screen: String, now: Date) throws(Refusal) -> (ConversationMessage, TurnEvent) {
        guard turn == nil, activity(now: now) == .stable else { throw .busy }
        turns += 1
        let m = append(.user, message, now)
        turn = Turn(id: turns, message: message, before: screen, startedAt: now)
        return (m, TurnEvent(name: "turn.started", turnId: turns, fields: ["messageId": .int(Int64(m.id))]))
    }

    /// Notes the screen at `now`; returns the events it caused (deltas, completion, failure).
    public mutating func observe(screen: String, version: UInt64, now: Date) -> [TurnEvent] {
        let changed = lastVersion.map { $0 != version } ?? false
        if changed || lastVersion == nil {
            busyOnScreen = extractor.isBusy(screen)
        }
        if changed { lastChangeAt = now }
        lastVersion = version
        guard var t = turn else { return [] }
        var events: [TurnEvent] = []
        if changed && now > t.startedAt { t.changed = true }
        if busyOnScreen { t.sawBusy = true }
        let age = now.timeIntervalSince(t.startedAt)
        let stable = t.changed && activity(now: now) == .stable
        // The reply so far: new text goes out as a delta; once stable, it completes the turn.
        if changed || stable {
            let reply = extractor.reply(before: t.before, after: screen, message: t.message)
            if reply.count > t.emitted.count, reply.hasPrefix(t.emitted) {
                events.append(TurnEvent(name: "item.delta", turnId: t.id, fields: ["text": .string(String(reply.dropFirst(t.emitted.count)))]))
                t.emitted = reply
            }
            if stable, !reply.isEmpty || t.sawBusy || age >= emptyReplyGrace {
                let m = append(.agent, reply, now)
                events.append(TurnEvent(name: "turn.completed", turnId: t.id, fields: ["reply": .string(reply), "messageId": .int(Int64(m.id))],
                                        duration: age))
                turn = nil
                return events
            }
        }
        if !t.changed && age >= reactionTimeout {
            turn = nil
            return events + [fail(t, "the agent's screen did not change within \(Int(reactionTimeout)) s of the message", now: now)]
        }
        if age >= turnTimeout {
            turn = nil
            return events + [fail(t, "the turn did not finish within \(Int(turnTimeout)) s", now: now)]
        }
        turn = t
        return events
    }

    /// Ends the turn in progress because the agent stopped being reachable (exited, asks for a login).
    public mutating func abort(_ reason: String, now: Date) -> TurnEvent? {
        guard let t = turn else { return nil }
        turn = nil
        return fail(t, reason, now: now)
    }

    /// Ends the turn in progress after an interrupt; what the screen shows of the reply is kept.
    public mutating func interrupted(screen: String, now: Date) -> TurnEvent? {
        guard let t = turn else { return nil }
        turn = nil
        let partial = extractor.reply(before: t.before, after: screen, message: t.message)
        var fields: [String: JSON] = ["reply": .string(partial)]
        if !partial.isEmpty { fields["messageId"] = .int(Int64(append(.agent, partial, now).id)) }
        return TurnEvent(name: "turn.interrupted", turnId: t.id, fields: fields, duration: now.timeIntervalSince(t.startedAt))
    }

    /// Messages after `id` (all for nil).
    public func messages(after id: Int?) -> [ConversationMessage] {
        guard let id else { return messages }
        return messages.filter { $0.id > id }
    }

    private mutating func append(_ role: ConversationMessage.Role, _ content: String, _ now: Date) -> ConversationMessage {
        let m = ConversationMessage(id: (messages.last?.id ?? 0) + 1, role: role, content: content, time: now)
        messages.append(m)
        if messages.count > 1000 { messages.removeFirst(messages.count - 1000) }
        return m
    }

    private func fail(_ t: Turn, _ reason: String, now: Date) -> TurnEvent {
        TurnEvent(name: "turn.failed", turnId: t.id, fields: ["reason": .string(reason)], duration: now.timeIntervalSince(t.startedAt))
    }

    /// Whether ``observe(screen:version:now:)`` needs the screen text: it changed, or a turn follows it.
    public func needsScreen(version: UInt64) -> Bool { lastVersion != version || turn != nil }
}
