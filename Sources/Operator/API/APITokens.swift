import Foundation
import RuntimeCore
import Synchronization

/// The bearer tokens of the runtime API, read from `--api-token-file`: one token per line, blank lines
/// and lines starting with `#` ignored, surrounding whitespace trimmed. Several tokens allow rotation
/// (add the new one, move clients, remove the old one) and one token per client.
///
/// The file is read again when its modification time or size changes (checked at most once a second),
/// so rotation needs no restart. A file that became unreadable or empty keeps the last good tokens and
/// logs a warning once: an editor's half-written save must not lock everyone out. Comparisons are
/// constant time (``RuntimeCore/bearerAuth(tokens:open:)``).
public final class APITokens: Sendable {
    /// Why tokens could not be loaded at startup.
    public enum LoadError: Error, CustomStringConvertible, Sendable {
        /// The file cannot be read.
        case unreadable(String)
        /// The file holds no token.
        case empty(String)

        public var description: String {
            switch self {
            case .unreadable(let p): return "--api-token-file \(p) cannot be read"
            case .empty(let p): return "--api-token-file \(p) holds no token (one per line; # starts a comment)"
            }
        }
    }

    private struct State {
        var tokens: [String]
        var stamp: Stamp
        var checkedAt: ContinuousClock.Instant
        var warned = false
    }

    private struct Stamp: Equatable {
        var mtime: timespec
        var size: Int64
        static func == (a: Stamp, b: Stamp) -> Bool {
            a.mtime.tv_sec == b.mtime.tv_sec && a.mtime.tv_nsec == b.mtime.tv_nsec && a.size == b.size
        }
    }

    /// The file, nil for fixed tokens.
    public let path: String?
    private let state: Mutex<State>
    private let logger: Logger

    /// Loads the tokens of `path`; throws when there is none.
    public init(path: String, logger: Logger = Logger(label: "api-tokens")) throws(LoadError) {
        self.path = path
        self.logger = logger
        guard let (tokens, stamp) = Self.read(path) else { throw .unreadable(path) }
        guard !tokens.isEmpty else { throw .empty(path) }
        state = Mutex(State(tokens: tokens, stamp: stamp, checkedAt: .now))
    }

    /// Fixed tokens (tests, embedding).
    public init(tokens: [String]) {
        path = nil
        logger = Logger(label: "api-tokens")
        state = Mutex(State(tokens: tokens, stamp: Stamp(mtime: timespec(), size: 0), checkedAt: .now))
    }

    /// The tokens in force (re-reading the file when it changed).
    public var current: [String] {
        guard let path else { return state.withLock { $0.tokens } }
        let now = ContinuousClock.now
        let due = state.withLock { s -> Bool in
            guard now - s.checkedAt >= .seconds(1) else { return false }
            s.checkedAt = now
            return true
        }
        if due, let stamp = Self.stamp(path), stamp != state.withLock({ $0.stamp }) {
            reload(path)
        }
        return state.withLock { $0.tokens }
    }

    /// How many tokens are in force.
    public var count: Int { current.count }

    private func reload(_ path: String) {
        let loaded = Self.read(path)
        // nil: nothing to say; true: reloaded; false: bad file (first time only).
        let outcome = state.withLock { s -> (Bool, Int)? in
            guard let (tokens, stamp) = loaded, !tokens.isEmpty else {
                defer { s.warned = true }
                return s.warned ? nil : (false, s.tokens.count)
            }
            s.tokens = tokens
            s.stamp = stamp
            s.warned = false
            return (true, tokens.count)
        }
        switch outcome {
        case (true, let n)?: logger.info("API tokens reloaded", ["file": .string(path), "count": .int(Int64(n))])
        case (false, _)?: logger.warning("the API token file became unreadable or empty; keeping the previous tokens", ["file": .string(path)])
        case nil: break
        }
    }

    private static func stamp(_ path: String) -> Stamp? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Stamp(mtime: st.st_mtim, size: Int64(st.st_size))
    }

    private static func read(_ path: String) -> ([String], Stamp)? {
        guard let stamp = stamp(path), let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return (parse(text), stamp)
    }

    /// The tokens of a file's text.
    public static func parse(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }
}
