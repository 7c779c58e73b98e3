import FoundationEssentials
import Glibc

/// The project's version, reported by every program's `--version` and in registry values.
public let agentRuntimeVersion = "0.1.0"

/// A bad command line: the message is printed as one line, and the program exits with status 2.
public struct UsageError: Error, CustomStringConvertible, Sendable {
    /// What is wrong, in one line.
    public let message: String
    /// Creates a usage error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A declared flag of a program.
public struct FlagSpec: Sendable {
    /// Name without dashes, e.g. `listen`.
    public let name: String
    /// Placeholder for the value in help (`ADDR:PORT`); nil for boolean switches.
    public let valueName: String?
    /// One line of help.
    public let help: String
    /// Default shown in help and used when neither flag nor environment sets it.
    public let defaultValue: String?
    /// Whether the flag may be given several times.
    public let repeated: Bool
    /// Environment variable that may provide the value (e.g. `AGENT_LISTEN`), if any.
    public let environment: String?

    /// Declares a flag that takes a value.
    public static func value(_ name: String, _ valueName: String, help: String, default def: String? = nil,
                             repeated: Bool = false, env: String? = nil) -> FlagSpec {
        FlagSpec(name: name, valueName: valueName, help: help, defaultValue: def, repeated: repeated, environment: env)
    }

    /// Declares a boolean switch (`--flag`, `--flag=true|false`).
    public static func bool(_ name: String, help: String, env: String? = nil) -> FlagSpec {
        FlagSpec(name: name, valueName: nil, help: help, defaultValue: nil, repeated: false, environment: env)
    }
}

/// Parsed flags: typed accessors that throw ``UsageError`` with the flag's name on bad values.
public struct ParsedFlags: Sendable {
    /// Values per flag name, in command-line order.
    public let values: [String: [String]]
    /// Arguments that are not flags (before `--`).
    public let positional: [String]
    /// Everything after `--`, verbatim.
    public let trailing: [String]

    /// The last value of a flag (command line, then environment, then default).
    public func string(_ name: String) -> String? { values[name]?.last }
    /// All values of a repeated flag.
    public func strings(_ name: String) -> [String] { values[name] ?? [] }
    /// A switch: present without value, or `true`/`1`/`yes`.
    public func bool(_ name: String) -> Bool {
        guard let v = values[name]?.last else { return false }
        return ["", "true", "1", "yes"].contains(v.lowercased())
    }
    /// An integer flag.
    public func int(_ name: String) throws(UsageError) -> Int? {
        guard let v = string(name) else { return nil }
        guard let i = Int(v) else { throw UsageError("--\(name): '\(v)' is not a whole number") }
        return i
    }
    /// A floating-point flag.
    public func double(_ name: String) throws(UsageError) -> Double? {
        guard let v = string(name) else { return nil }
        guard let d = Double(v) else { throw UsageError("--\(name): '\(v)' is not a number") }
        return d
    }
    /// A duration flag: `30`, `30s`, `500ms`, `2m`, `1h`.
    public func duration(_ name: String) throws(UsageError) -> Duration? {
        guard let v = string(name) else { return nil }
        guard let d = parseDuration(v) else { throw UsageError("--\(name): '\(v)' is not a duration (e.g. 500ms, 10s, 2m)") }
        return d
    }
    /// A required value.
    public func require(_ name: String) throws(UsageError) -> String {
        guard let v = string(name), !v.isEmpty else { throw UsageError("--\(name) is required") }
        return v
    }
}

/// Parses `30`, `30s`, `500ms`, `2m`, `1h` into a Duration.
public func parseDuration(_ text: String) -> Duration? {
    let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
    for (suffix, scale) in units where text.hasSuffix(suffix) {
        guard let n = Double(text.dropLast(suffix.count)), n >= 0 else { return nil }
        return .milliseconds(Int64(n * scale * 1000))
    }
    guard let n = Double(text), n >= 0 else { return nil }
    return .milliseconds(Int64(n * 1000))
}

/// A program's command line: declared flags, help text, and parsing with environment fallbacks.
public struct CommandLineSpec: Sendable {
    /// Program name, e.g. `kube-emulator`.
    public let program: String
    /// Usage line after the program name.
    public let usage: String
    /// A paragraph describing the program.
    public let summary: String
    /// The accepted flags (`--help` and `--version` are implicit).
    public let flags: [FlagSpec]
    /// Whether flags fall back to their environment variables. False for a program whose environment is
    /// somebody else's (agent-supervisor's is the agent's: a variable there must never reconfigure it).
    public let environmentFallbacks: Bool

    /// Declares a command line.
    public init(program: String, usage: String, summary: String, flags: [FlagSpec], environmentFallbacks: Bool = true) {
        self.program = program
        self.usage = usage
        self.summary = summary
        self.environmentFallbacks = environmentFallbacks
        self.flags = flags + [.value("log-format", "json|text", help: "log line format", default: "json", env: "AGENT_LOG_FORMAT"),
                              .value("log-level", "LEVEL", help: "debug, info, warning or error", default: "info", env: "AGENT_LOG_LEVEL")]
    }

    /// The `--help` text.
    public var helpText: String {
        var out = "Usage: \(program) \(usage)\n\n\(summary)\n\nFlags:\n"
        for f in flags {
            var left = "  --\(f.name)"
            if let v = f.valueName { left += " \(v)" }
            var right = f.help
            if let d = f.defaultValue { right += " (default \(d))" }
            if environmentFallbacks, let e = f.environment { right += " [$\(e)]" }
            if f.repeated { right += " (repeatable)" }
            out += left.padded(to: max(left.count + 2, 34)) + right + "\n"
        }
        out += "  --help                          show this help\n  --version                       print the version\n"
        return out
    }

    /// Parses arguments (without the program name). Prints help/version and exits for those flags.
    public func parse(_ args: [String], environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(UsageError) -> ParsedFlags
    {
        var values: [String: [String]] = [:]
        var positional: [String] = []
        var trailing: [String] = []
        var i = 0
        let byName = Dictionary(flags.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        while i < args.count {
            let a = args[i]
            i += 1
            if a == "--" { trailing = Array(args[i...]); break }
            if a == "--help" || a == "-h" { print(helpText, terminator: ""); exit(0) }
            if a == "--version" { print("\(program) \(agentRuntimeVersion)"); exit(0) }
            guard a.hasPrefix("--") else { positional.append(a); continue }
            var name = String(a.dropFirst(2))
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let spec = byName[name] else { throw UsageError("unknown flag --\(name) (see --help)") }
            let value: String
            if spec.valueName == nil {
                value = inline ?? ""
            } else if let inline {
                value = inline
            } else {
                guard i < args.count else { throw UsageError("--\(name) needs a value (\(spec.valueName!))") }
                value = args[i]
                i += 1
            }
            if spec.repeated { values[name, default: []].append(value) } else { values[name] = [value] }
        }
        for f in flags where values[f.name] == nil {
            if environmentFallbacks, let e = f.environment, let v = environment[e], !v.isEmpty {
                values[f.name] = f.repeated ? v.split(separator: ",").map(String.init) : [v]
            } else if let d = f.defaultValue {
                values[f.name] = [d]
            }
        }
        return ParsedFlags(values: values, positional: positional, trailing: trailing)
    }

    /// Parses the process arguments; on a usage error prints one line to stderr and exits with status 2.
    public func parseOrExit(_ args: [String] = Array(CommandLine.arguments.dropFirst())) -> ParsedFlags {
        do {
            return try parse(args)
        } catch {
            writeStandardError("\(program): \(error.message)\n")
            exit(2)
        }
    }
}

/// Applies `--log-format` and `--log-level` (present on every program) to the process-wide logger defaults.
public func configureLogging(_ flags: ParsedFlags) throws(UsageError) {
    let formatText = flags.string("log-format") ?? "json"
    guard let format = LogFormat(rawValue: formatText) else { throw UsageError("--log-format must be json or text") }
    let levelText = flags.string("log-level") ?? "info"
    guard let level = LogLevel(parsing: levelText) else { throw UsageError("--log-level must be debug, info, warning or error") }
    Logger.bootstrap(level: level, format: format)
}

extension Duration {
    /// The duration in (fractional) seconds.
    public var inSeconds: Double {
        let (s, attos) = components
        return Double(s) + Double(attos) / 1e18
    }

    /// A duration from fractional seconds, to the nearest nanosecond (negative and non-finite values give zero;
    /// the value is capped at 9e9 s, about 285 years, so it always fits).
    public static func fromSeconds(_ s: Double) -> Duration {
        guard s.isFinite, s > 0 else { return .zero }
        return .nanoseconds(Int64((Swift.min(s, 9e9) * 1e9).rounded()))
    }

    /// Whole milliseconds, rounded down.
    public var milliseconds: Int64 {
        let (s, attos) = components
        return s * 1000 + attos / 1_000_000_000_000_000
    }
}
