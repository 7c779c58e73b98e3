import FoundationEssentials

/// How to hold a conversation with one kind of CLI over its terminal: how a message is typed and submitted,
/// how to interrupt a turn, what on its screen means "busy", and which lines around a reply are the CLI's
/// own chrome (boxes, prompts, footers, spinners) rather than the reply.
///
/// Patterns are case-insensitive regular expressions matched line by line against the screen model's text;
/// the built-in ones come from the real CLIs' screens (docs/supervisor.md, "Conversations").
public struct ConversationProfile: Sendable {
    /// Wrap a message in bracketed paste (`ESC [200~` … `ESC [201~`), so a multi-line message arrives as one
    /// paste instead of one submit per line. Without it, newlines in a message are sent as spaces.
    public var bracketedPaste: Bool
    /// The key that submits a typed message.
    public var submit: [UInt8] = [0x0D]
    /// Time between typing a message and pressing the submit key: TUIs that debounce input (Ink) drop an
    /// Enter that arrives in the same read as the paste.
    public var submitDelay: Duration = .milliseconds(150)
    /// The key that interrupts a running turn.
    public var interrupt: [UInt8]
    /// Screen lines that mean the CLI is still working (spinners, "esc to interrupt").
    public var busyPatterns: [String]
    /// Lines that are never part of a reply.
    public var chromePatterns: [String]
    /// Prefixes the CLI puts before reply text (stripped from the start of reply lines).
    public var replyMarkers: [String]
    /// How long the screen must stay unchanged (and free of busy markers) to count as stable.
    public var settle: Duration = .milliseconds(1000)

    /// Creates a profile.
    public init(bracketedPaste: Bool, interrupt: [UInt8], busyPatterns: [String], chromePatterns: [String],
                replyMarkers: [String]) {
        self.bracketedPaste = bracketedPaste
        self.interrupt = interrupt
        self.busyPatterns = busyPatterns
        self.chromePatterns = chromePatterns
        self.replyMarkers = replyMarkers
    }

    /// Lines any CLI's chrome is made of: box edges and rules, empty prompts.
    static let commonChrome = [
        #"^[\s─━═╭╮╰╯┌┐└┘├┤┬┴┼│┃\-_=+*]*$"#,  // rules, box tops and bottoms, blank lines
        #"^\s*[│┃]?\s*[>›❯]\s*[│┃]?\s*$"#,  // an empty input prompt, boxed or not
    ]

    /// Braille spinner frames, the usual busy marker of TUIs.
    static let spinner = #"[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏⠁⠂⠄⡀⢀⠠⠐⠈]"#

    /// The built-in profile of an agent type.
    public static func builtIn(for type: AgentType) -> ConversationProfile {
        switch type {
        case .claude:
            return ConversationProfile(
                bracketedPaste: true, interrupt: [0x1B],
                busyPatterns: [#"esc to interrupt"#, #"^\s*[✻✶✳✢·*✽]\s+\S+…"#],
                chromePatterns: commonChrome + [
                    #"\? for shortcuts"#, #"esc to interrupt"#, #"^\s*[✻✶✳✢·*✽]\s+\S+…"#, #"shift\+tab to cycle"#,
                    #"auto-accept edits"#, #"bypass permissions"#, #"Context left until auto-compact"#, #"^\s*⎿\s*$"#,
                    #"^\s*[✻✶✳✢·*✽]\s+\S+ for [<\d].* · done "#,  // ✻ Churned for 6s · done 9:41 PM (docs/agent-clis.md)
                ],
                replyMarkers: ["⏺ ", "● "])
        case .codex:
            return ConversationProfile(
                bracketedPaste: true, interrupt: [0x1B],
                busyPatterns: [#"esc to interrupt"#, #"Esc to interrupt"#, #"\bWorking\b.*\(\d+s"#, spinner],
                chromePatterns: commonChrome + [
                    #"esc to interrupt"#, #"context left"#, #"⏎ send"#, #"Ctrl\+J newline"#, #"To get started, describe a task"#,
                    #"^\s*[•◦]\s*Working"#, #"^\s*▌"#, #"^\s*›\s"#,
                    #"^\s*Worked for [<\d].* • \d"#,  // Worked for 6s • 22:03 (docs/agent-clis.md)
                    #"\? for shortcuts"#, #"f2 to view"#, #"^\s*\S+( \S+)? · [/~]"#,  // footer: model · workdir
                ],
                replyMarkers: ["codex", "• ", "> "])
        case .gemini:
            return ConversationProfile(
                bracketedPaste: true, interrupt: [0x1B],
                busyPatterns: [#"esc to cancel"#, spinner],
                chromePatterns: commonChrome + [#"esc to cancel"#, #"Type your message"#, #"context left\)"#, #"no sandbox"#],
                replyMarkers: ["✦ "])
        case .aider:
            return ConversationProfile(
                bracketedPaste: true, interrupt: [0x03],
                busyPatterns: [#"Waiting for "#, spinner, #"░█|█░"#],
                chromePatterns: commonChrome + [
                    #"^Tokens: .* sent"#, #"^Cost: "#, #"^\S*> ?$"#, #"^(multi|ask|code|architect|diff)?> "#,
                    #"^Waiting for "#, #"^Aider v\d"#, #"^Model: "#, #"^Main model: "#, #"^Weak model: "#, #"^Git repo: "#,
                    #"^Repo-map: "#, #"^Use /help"#,
                ],
                replyMarkers: [])
        case .custom:
            return ConversationProfile(bracketedPaste: false, interrupt: [0x03], busyPatterns: [spinner],
                                       chromePatterns: commonChrome, replyMarkers: [])
        }
    }

    /// The bytes that type `message`: a bracketed paste, or the text with newlines as spaces.
    public func typing(_ message: String) -> [UInt8] {
        if bracketedPaste { return Array("\u{1B}[200~".utf8) + Array(message.utf8) + Array("\u{1B}[201~".utf8) }
        return Array(message.replacing("\r\n", with: " ").replacing("\n", with: " ").utf8)
    }
}
