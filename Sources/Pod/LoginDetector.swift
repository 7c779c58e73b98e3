import FoundationEssentials

/// A login prompt the agent shows: where to go, which code to enter, and what it said.
public struct LoginInfo: Sendable, Equatable {
    /// The login URL shown (http or https), if any.
    public var url: String?
    /// The one-time code shown (device-code flows), if any.
    public var code: String?
    /// The line that matched a login pattern.
    public var message: String
    /// When the prompt was first seen.
    public var detectedAt: Date

    /// Creates a login description.
    public init(url: String?, code: String?, message: String, detectedAt: Date) {
        self.url = url
        self.code = code
        self.message = message
        self.detectedAt = detectedAt
    }
}

/// Decides, from what the agent shows, whether it is still starting, running, or waiting for a login.
///
/// Rules (evaluated every 20 ms while starting and every 100 ms after, on the screen model and on new
/// stripped lines):
/// - a login pattern on the screen or in new lines → `loginRequired` (URL and code extracted);
/// - while in `loginRequired`: a ready pattern on the screen, or the login text gone from the screen for
///   ``clearDelay`` (so a redraw that clears the screen first does not flap), → `running`. A login seen only in
///   the stream (it scrolled by) also clears once input was sent and the text is not on the screen;
/// - leaving `starting`: with ready patterns configured, a ready match (or ``readyTimeout`` without any
///   login); without, the first output followed by ``quietPeriod`` of silence, or ``silentStartGrace`` without
///   any output at all.
public struct LoginDetector: Sendable {
    /// What the detector concludes.
    public enum Verdict: Sendable, Equatable {
        case starting
        case running
        case loginRequired(LoginInfo)
    }

    /// Compiled expressions. Swift's own `Regex` engine, not NSRegularExpression: the latter pulls in ICU,
    /// which alone costs about 5 MB of resident memory in an otherwise idle supervisor.
    struct Patterns: @unchecked Sendable {  // Regex<AnyRegexOutput> is immutable once built
        let login: [Regex<AnyRegexOutput>]
        let ready: [Regex<AnyRegexOutput>]
        let url: Regex<AnyRegexOutput>
        let code: Regex<AnyRegexOutput>
        let authHosts: [String]
    }

    private let patterns: Patterns
    /// How long the login text must be gone before `running` returns.
    public var clearDelay: TimeInterval = 0.5
    /// Silence after the first output that counts as "started" when no ready pattern is configured.
    public var quietPeriod: TimeInterval = 0.3
    /// Without ready patterns: an agent that printed nothing at all for this long counts as running.
    public var silentStartGrace: TimeInterval = 2
    /// Longest `starting` phase.
    public var readyTimeout: TimeInterval = 60

    /// The current conclusion.
    public private(set) var verdict: Verdict = .starting
    private var seenOnScreen = false
    private var inputSinceLogin = false
    private var absentSince: Date?

    /// Compiles the built-in patterns of `agentType` plus the extra ones. Throws on an invalid expression.
    public init(agentType: AgentType, loginPatterns: [String] = [], readyPatterns: [String] = []) throws(SupervisorError) {
        func compile(_ p: String, ignoreCase: Bool = true) throws(SupervisorError) -> Regex<AnyRegexOutput> {
            do {
                let re = try Regex(p).anchorsMatchLineEndings()
                return ignoreCase ? re.ignoresCase() : re
            } catch {
                throw .invalidPattern(p)
            }
        }
        var login: [Regex<AnyRegexOutput>] = []
        for p in LoginPatterns.login(for: agentType) + loginPatterns { login.append(try compile(p)) }
        var ready: [Regex<AnyRegexOutput>] = []
        for p in LoginPatterns.ready(for: agentType) + readyPatterns { ready.append(try compile(p)) }
        patterns = Patterns(login: login, ready: ready, url: try compile(LoginPatterns.url),
                            code: try compile(LoginPatterns.code, ignoreCase: false), authHosts: LoginPatterns.authHosts(for: agentType))
    }

    /// Whether any login pattern is configured.
    public var hasLoginPatterns: Bool { !patterns.login.isEmpty }

    /// Whether any ready pattern is configured.
    public var hasReadyPatterns: Bool { !patterns.ready.isEmpty }

    /// Records that input was sent to the agent (a person may be answering the login prompt).
    public mutating func noteInput() {
        if case .loginRequired = verdict { inputSinceLogin = true }
    }

    /// Starts over for a new run of the agent.
    public mutating func reset() {
        verdict = .starting
        seenOnScreen = false
        inputSinceLogin = false
        absentSince = nil
    }

    /// Re-evaluates. `screen` is the screen text with wrapped rows joined; `newLines` the stripped lines
    /// completed since the last call; `startedAt` when the run began; `firstOutputAt`/`lastOutputAt` nil while
    /// the agent printed nothing.
    @discardableResult
    public mutating func evaluate(screen: String, newLines: [String], now: Date, startedAt: Date,
                                  firstOutputAt: Date?, lastOutputAt: Date?) -> Verdict {
        let stream = newLines.joined(separator: "\n")
        if let hit = firstMatch(patterns.login, in: screen) {
            seenOnScreen = true
            absentSince = nil
            enterLogin(text: screen, hit: hit, stream: stream, now: now)
            return verdict
        }
        if let hit = firstMatch(patterns.login, in: stream) {
            absentSince = nil
            if case .loginRequired = verdict {} else { seenOnScreen = false }
            enterLogin(text: stream, hit: hit, stream: stream, now: now)
            return verdict
        }
        switch verdict {
        case .loginRequired:
            if firstMatch(patterns.ready, in: screen) != nil {
                leaveLogin()
            } else if seenOnScreen || inputSinceLogin {
                let since = absentSince ?? now
                absentSince = since
                if now.timeIntervalSince(since) >= clearDelay { leaveLogin() }
            }
        case .starting:
            if !patterns.ready.isEmpty {
                if firstMatch(patterns.ready, in: screen) != nil { verdict = .running }
            } else if let last = lastOutputAt, firstOutputAt != nil {
                if now.timeIntervalSince(last) >= quietPeriod { verdict = .running }
            } else if now.timeIntervalSince(startedAt) >= silentStartGrace {
                verdict = .running
            }
            if verdict == .starting && now.timeIntervalSince(startedAt) >= readyTimeout { verdict = .running }
        case .running:
            break
        }
        return verdict
    }

    private mutating func leaveLogin() {
        verdict = .running
        seenOnScreen = false
        inputSinceLogin = false
        absentSince = nil
    }

    private mutating func enterLogin(text: String, hit: Range<String.Index>, stream: String, now: Date) {
        let lineStart = text[..<hit.lowerBound].lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex
        let lineEnd = text[hit.upperBound...].firstIndex(of: "\n") ?? text.endIndex
        var message = String(text[lineStart..<lineEnd])
        message = message.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
        message = message.trimming(while: { "│|╭╮╰╯─ ".contains($0) })
        if message.count > 200 { message = String(message.prefix(200)) }
        var url = extractURL(text, after: hit.lowerBound)
        // The stream has the URL unbroken even when the screen cut it at the right edge.
        if let u = url, let longer = extractURL(stream, after: stream.startIndex), longer.hasPrefix(u), longer.count > u.count {
            url = longer
        }
        if url == nil { url = extractURL(stream, after: stream.startIndex) }
        let code = extractCode(text, after: hit.lowerBound) ?? extractCode(stream, after: stream.startIndex)
        if case .loginRequired(var info) = verdict {
            info.url = url ?? info.url
            info.code = code ?? info.code
            info.message = message
            verdict = .loginRequired(info)
        } else {
            inputSinceLogin = false
            verdict = .loginRequired(LoginInfo(url: url, code: code, message: message, detectedAt: now))
        }
    }

    private func firstMatch(_ list: [Regex<AnyRegexOutput>], in text: String) -> Range<String.Index>? {
        guard !text.isEmpty else { return nil }
        for re in list {
            if let m = try? re.firstMatch(in: text) { return m.range }
        }
        return nil
    }

    /// The login URL: one on the CLI's auth hosts anywhere (the first at or after `location`, else the last
    /// before it), else the first other URL on the prompt itself (from the matched line to
    /// ``LoginPatterns/promptLines`` rows after it) that is not documentation.
    func extractURL(_ text: String, after location: String.Index) -> String? {
        let lineStart = text[..<location].lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex
        let urls = text.matches(of: patterns.url).map { m in
            (range: m.range, url: String(text[m.range]).trimming(while: { ".,;:)]}".contains($0) }))
        }
        func onAuthHost(_ u: String) -> Bool {
            guard let host = LoginPatterns.host(of: u) else { return false }
            return patterns.authHosts.contains { host == $0 || host.hasSuffix("." + $0) }
        }
        let auth = urls.filter { onAuthHost($0.url) }
        if let hit = auth.first(where: { $0.range.lowerBound >= location }) ?? auth.last { return hit.url }
        return urls.first { candidate in
            guard candidate.range.lowerBound >= lineStart, !LoginPatterns.isDocumentation(candidate.url) else { return false }
            let rows = text[lineStart..<candidate.range.lowerBound].reduce(0) { $1 == "\n" ? $0 + 1 : $0 }
            return rows <= LoginPatterns.promptLines
        }?.url
    }

    /// The first one-time code outside URLs, preferring one at or after `location`.
    func extractCode(_ text: String, after location: String.Index) -> String? {
        let urls = text.matches(of: patterns.url).map(\.range)
        let candidates = text.matches(of: patterns.code).map(\.range).filter { r in !urls.contains { $0.overlaps(r) } }
        guard let r = candidates.first(where: { $0.lowerBound >= location }) ?? candidates.last else { return nil }
        return String(text[r])
    }
}
