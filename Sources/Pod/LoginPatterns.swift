/// The kinds of agent the supervisor knows (the contract's `spec.agentType`).
public enum AgentType: String, Sendable, CaseIterable, Codable {
    /// Anthropic's Claude Code.
    case claude
    /// OpenAI's Codex CLI.
    case codex
    /// Google's Gemini CLI.
    case gemini
    /// Aider.
    case aider
    /// Anything else: only the patterns given by flag apply.
    case custom
}

/// Built-in login and ready patterns per agent type, taken from the real CLIs' screens.
///
/// Login patterns mean "this agent waits for a person to sign in"; ready patterns mean "the agent shows its
/// normal prompt". All are case-insensitive regular expressions matched against the screen model's text
/// (wrapped rows joined) and against new lines of the ANSI-stripped stream.
///
/// Sources (the texts as the CLIs print them):
/// - Codex CLI: the onboarding screen offers "Sign in with ChatGPT" / "Provide your own API key"; the device
///   code flow (`codex login --device-auth`, codex-rs/login/src/device_code_auth.rs) prints "Follow these steps
///   to sign in with ChatGPT using device code authorization", "Open this link in your browser and sign in to
///   your account" with https://auth.openai.com/codex/device, and "Enter this one-time code (expires in 15
///   minutes)" followed by a code like `ABCD-EFGH1`. Its ready screen shows "To get started, describe a task"
///   and a "context left" footer.
/// - Gemini CLI: the auth dialog asks "How would you like to authenticate for this project?" with "Login with
///   Google" (older builds: "Sign in with Google"), "Use Gemini API Key", "Vertex AI"; waiting for the browser it
///   shows "Waiting for auth..."; with NO_BROWSER it prints "Please visit the following URL to authorize the
///   application" and asks "Enter the authorization code". Ready: "Type your message".
/// - Aider (aider/onboarding.py): without a model or key it prints "No LLM model was specified and no API keys
///   were provided.", "OpenRouter provides free and paid access to many LLMs." and asks "Login to OpenRouter or
///   create a free account? (Y)es/(N)o"; after yes: "Please open this URL in your browser to connect Aider with
///   OpenRouter:" and an https://openrouter.ai/auth?... URL, "Waiting up to 5 minutes for you to finish in the
///   browser...". Ready: the banner's "Main model:" line.
/// - Claude Code: first start shows "Select login method:" with "Claude account with subscription" and
///   "Anthropic Console account"; the OAuth step shows "Browser didn't open? Use the url below to sign in" and
///   "Paste code here if prompted"; a bad or missing credential shows "Invalid API key · Please run /login" or
///   "Not logged in · Please run /login". Ready: "? for shortcuts".
public enum LoginPatterns {
    /// Login patterns for an agent type.
    public static func login(for type: AgentType) -> [String] {
        switch type {
        case .codex:
            return [
                #"Sign in with ChatGPT"#,
                #"sign in with ChatGPT using device code"#,
                #"Enter this one-time code"#,
                #"Open this link in your browser and sign in"#,
                #"Provide your own API key"#,
            ]
        case .gemini:
            return [
                #"How would you like to authenticate"#,
                #"(Login|Sign in) with Google"#,
                #"Waiting for auth"#,
                #"Please visit the following URL to authorize"#,
                #"Enter the authorization code"#,
            ]
        case .aider:
            return [
                #"No LLM model was specified and no API keys were provided"#,
                #"Login to OpenRouter or create a free account"#,
                #"open this URL in your browser to connect Aider with OpenRouter"#,
                #"Waiting up to \d+ minutes for you to finish in the browser"#,
            ]
        case .claude:
            return [
                #"Please run /login"#,
                #"Select login method"#,
                #"Invalid API key"#,
                #"Not logged in"#,
                #"Paste code here if prompted"#,
                #"Use the url below to sign in"#,
            ]
        case .custom:
            return []
        }
    }

    /// Ready patterns for an agent type.
    public static func ready(for type: AgentType) -> [String] {
        switch type {
        // The current CLIs' ready screens (docs/agent-clis.md: Claude Code 2.1.332, Codex 0.163.0, Aider
        // 0.86.2) next to the older ones' markers, which still hold for earlier versions.
        case .codex: return [#"Ask Codex to do anything"#, #"\? for shortcuts"#, #"To get started, describe a task"#, #"\d+% context left"#]
        case .gemini: return [#"Type your message"#]
        case .aider: return [#"^Main model:"#, #"^Model: \S"#]
        case .claude: return [#"\(shift\+tab to cycle\)"#, #"^\s*❯\s*$"#, #"\? for shortcuts"#]
        case .custom: return []
        }
    }

    /// URLs shown on a login screen.
    static let url = #"https?://[^\s"'<>\x{2500}-\x{257F}]+"#

    /// Hosts where each CLI signs people in (the URLs its login screens show). A URL on one of these is a
    /// login URL wherever it appears; any other counts only on the login prompt itself (within
    /// ``promptLines`` rows after the matched line) and never when it is documentation.
    public static func authHosts(for type: AgentType) -> [String] {
        switch type {
        case .claude: return ["claude.ai", "console.anthropic.com", "platform.claude.com"]
        case .codex: return ["auth.openai.com", "chatgpt.com"]
        case .gemini: return ["accounts.google.com"]
        case .aider: return ["openrouter.ai"]
        case .custom: return []
        }
    }

    /// Rows after the matched login line that still belong to the prompt.
    static let promptLines = 8

    /// Whether a URL is documentation (a `docs.` host or a `/docs` path): shown next to login prompts as
    /// help, never where to sign in (Claude Code's screen links its permission-modes docs).
    static func isDocumentation(_ url: String) -> Bool {
        guard let (host, path) = parts(of: url) else { return false }
        return host.hasPrefix("docs.") || path.hasPrefix("/docs") || path.lowercased().contains("/docs/")
    }

    /// The host of an http(s) URL, lower-cased, without port.
    static func host(of url: String) -> String? { parts(of: url)?.host }

    private static func parts(of url: String) -> (host: String, path: Substring)? {
        guard let scheme = url.firstRange(of: "://") else { return nil }
        let rest = url[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostPort = authority.split(separator: "@").last ?? authority
        guard let host = hostPort.split(separator: ":").first else { return nil }
        return (host.lowercased(), rest.dropFirst(authority.count))
    }

    /// One-time codes: two groups of 4-5 capitals or digits joined by a dash (device-code flows: Codex,
    /// GitHub-style), with at least one letter so dates and numbers do not count.
    static let code = #"\b(?=[A-Z0-9-]*[A-Z])[A-Z0-9]{4,5}-[A-Z0-9]{4,5}\b"#
}
