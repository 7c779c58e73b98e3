import Foundation
import RuntimeCore

/// What one request carries to authenticate.
public struct AuthMaterial: Sendable {
    /// Headers to add (`Authorization`).
    public var headers: [(String, String)]
    /// A client certificate from an exec plugin, overriding the configured one.
    public var clientCertificateData: Data?
    /// Its key.
    public var clientKeyData: Data?
    /// Identifies the credential so that a 401 invalidates only the credential it was sent with.
    public var generation: Int

    /// No authentication.
    public static let none = AuthMaterial(headers: [], generation: 0)
}

/// Turns ``Credentials`` into request headers, caching what is expensive.
///
/// - token files are re-read when the cached copy is older than `tokenFileReloadInterval` (60 s) or
///   after a 401;
/// - exec plugins run once and their credential is reused until `expirationTimestamp` or a 401; while
///   one run is in flight, concurrent requests wait for it instead of starting their own.
public actor CredentialProvider {
    /// The credentials served.
    public let credentials: Credentials
    private let tokenFileReloadInterval: Duration
    private let now: @Sendable () -> Date
    private let runPlugin: @Sendable (ExecConfig) async throws(KubeError) -> ExecCredentialStatus

    private var generation = 1
    private var fileToken: (token: String, readAt: ContinuousClock.Instant)?
    private var execCredential: ExecCredentialStatus?
    private var execInFlight: Task<ExecCredentialStatus, any Error>?
    private var execRuns = 0

    /// Creates a provider. `now` and `runPlugin` are injectable for tests.
    public init(_ credentials: Credentials, tokenFileReloadInterval: Duration = .seconds(60),
                now: @escaping @Sendable () -> Date = { Date() },
                runPlugin: @escaping @Sendable (ExecConfig) async throws(KubeError) -> ExecCredentialStatus = {
                    (c: ExecConfig) async throws(KubeError) -> ExecCredentialStatus in try await ExecCredentialRunner.run(c)
                }) {
        self.credentials = credentials
        self.tokenFileReloadInterval = tokenFileReloadInterval
        self.now = now
        self.runPlugin = runPlugin
    }

    /// How often the exec plugin ran (for tests and metrics).
    public var pluginRuns: Int { execRuns }

    /// True when a 401 may be cured by fetching the credential again.
    public nonisolated var canRefresh: Bool {
        switch credentials {
        case .exec, .tokenFile: return true
        default: return false
        }
    }

    /// The material for the next request.
    public func authorization() async throws(KubeError) -> AuthMaterial {
        switch credentials {
        case .none:
            return .none
        case .bearerToken(let t):
            return AuthMaterial(headers: [("Authorization", "Bearer " + t)], generation: generation)
        case .basic(let user, let password):
            let encoded = Data((user + ":" + password).utf8).base64EncodedString()
            return AuthMaterial(headers: [("Authorization", "Basic " + encoded)], generation: generation)
        case .tokenFile(let path):
            let token = try await tokenFromFile(path)
            return AuthMaterial(headers: [("Authorization", "Bearer " + token)], generation: generation)
        case .exec(let config):
            let cred = try await execCredential(config)
            var m = AuthMaterial(headers: [], generation: generation)
            if let t = cred.token, !t.isEmpty { m.headers = [("Authorization", "Bearer " + t)] }
            if let c = cred.clientCertificateData, let k = cred.clientKeyData {
                m.clientCertificateData = Data(c.utf8)
                m.clientKeyData = Data(k.utf8)
            }
            return m
        }
    }

    /// Drops the cached credential after a 401, unless it was already replaced since `generation`
    /// was handed out (so that a burst of 401s triggers one refresh, not one per request).
    public func invalidate(generation used: Int) {
        guard used == generation else { return }
        generation += 1
        fileToken = nil
        execCredential = nil
    }

    private func tokenFromFile(_ path: String) async throws(KubeError) -> String {
        if let cached = fileToken, ContinuousClock.now - cached.readAt < tokenFileReloadInterval {
            return cached.token
        }
        do {
            let data = try await BlockingWork.readFile(path)
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw KubeError.credentials("token file \(path) is empty") }
            if let old = fileToken?.token, old != token { generation += 1 }
            fileToken = (token, .now)
            return token
        } catch {
            // A rotation may replace the file non-atomically; keep serving the last good token.
            if let cached = fileToken { return cached.token }
            if let e = error as? KubeError { throw e }
            throw .credentials("cannot read token file \(path): \(error.localizedDescription)")
        }
    }

    private func execCredential(_ config: ExecConfig) async throws(KubeError) -> ExecCredentialStatus {
        if let c = execCredential, c.isValid(at: now()) { return c }
        if let running = execInFlight {
            do { return try await running.value } catch { throw Self.asKubeError(error) }
        }
        let run = runPlugin
        let task = Task { () async throws -> ExecCredentialStatus in try await run(config) }
        execInFlight = task
        execRuns += 1
        defer { execInFlight = nil }
        do {
            let cred = try await task.value
            execCredential = cred
            generation += 1
            return cred
        } catch {
            throw Self.asKubeError(error)
        }
    }

    private static func asKubeError(_ error: any Error) -> KubeError {
        if let e = error as? KubeError { return e }
        if error is CancellationError { return .cancelled }
        return .credentials("\(error)")
    }
}
