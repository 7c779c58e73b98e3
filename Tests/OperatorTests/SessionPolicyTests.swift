import Foundation
import KubeClient
import XCTest

@testable import Operator

final class SessionPolicyTests: XCTestCase {
    let policy = SessionPolicy(config: OperatorConfig())

    func testDefaults() {
        let e = effective(makeSession())
        XCTAssertEqual(e.agentId, "team-a.fix-login-bug")
        XCTAssertEqual(e.displayName, "fix-login-bug")
        XCTAssertEqual(e.image, "ghcr.io/parallax-ai/agent-codex:0.1.0")
        XCTAssertEqual(e.cliCommand, ["codex"])
        XCTAssertEqual(e.workdir, "/workspace")
        XCTAssertEqual(e.restartPolicy, "OnFailure")
        XCTAssertEqual(e.registryTTLSeconds, 30)
        XCTAssertTrue(e.registryEnabled)
        XCTAssertEqual(e.resources.requests, ["cpu": "250m", "memory": "512Mi"])
        XCTAssertEqual(e.resources.limits, ["cpu": "2", "memory": "4Gi"])
    }

    func testSpecValuesWin() {
        let e = effective(makeSession { s in
            s.agentId = "custom-id"
            s.displayName = "Fixer"
            s.image = "my/image:1"
            s.command = ["codex", "--yolo"]
            s.args = ["--model", "o3"]
            s.workdir = "/src"
            s.restartPolicy = "Never"
            s.registry = .init(enabled: false, ttlSeconds: 60)
            s.resources = ResourceRequirements(requests: ["cpu": "1"])
        })
        XCTAssertEqual(e.agentId, "custom-id")
        XCTAssertEqual(e.displayName, "Fixer")
        XCTAssertEqual(e.image, "my/image:1")
        XCTAssertEqual(e.cliCommand, ["codex", "--yolo", "--model", "o3"])
        XCTAssertEqual(e.workdir, "/src")
        XCTAssertEqual(e.restartPolicy, "Never")
        XCTAssertFalse(e.registryEnabled)
        XCTAssertEqual(e.registryTTLSeconds, 60)
        XCTAssertEqual(e.resources.requests, ["cpu": "1", "memory": "512Mi"], "defaults fill only what is missing")
    }

    func violation(_ s: AgentSession, config: OperatorConfig = OperatorConfig()) -> String? {
        if case .failure(let v) = SessionPolicy(config: config).evaluate(s) { return v.description }
        return nil
    }

    func testDisallowedAndUnknownTypes() {
        var config = OperatorConfig()
        config.allowedAgentTypes = ["codex", "claude"]
        XCTAssertTrue(violation(makeSession(type: "custom") { $0.image = "x"; $0.command = ["y"] }, config: config)?
            .contains("agentType \"custom\" is not allowed") ?? false)
        XCTAssertTrue(violation(makeSession(type: "cursor"))?.contains("agentType \"cursor\" is unknown") ?? false)
    }

    func testCustomNeedsImageAndCommand() {
        XCTAssertTrue(violation(makeSession(type: "custom"))?.contains("no image") ?? false)
        XCTAssertTrue(violation(makeSession(type: "custom") { $0.image = "x" })?.contains("no command") ?? false)
        XCTAssertNil(violation(makeSession(type: "custom") { $0.image = "x"; $0.command = ["sh"] }))
    }

    func testAbsurdResourcesAreRejected() {
        let v = violation(makeSession { $0.resources = ResourceRequirements(requests: ["cpu": "100000"]) })
        XCTAssertEqual(v.map { $0.contains("resources.requests.cpu 100000 exceeds the policy maximum 8") }, true, v ?? "")
        let v2 = violation(makeSession { $0.resources = ResourceRequirements(limits: ["memory": "1Ti"]) })
        XCTAssertEqual(v2.map { $0.contains("resources.limits.memory 1Ti exceeds the policy maximum 32Gi") }, true, v2 ?? "")
        let v3 = violation(makeSession { $0.resources = ResourceRequirements(limits: ["cpu": "1"], requests: ["cpu": "2"]) })
        XCTAssertEqual(v3.map { $0.contains("resources.requests.cpu 2 is above its limit 1") }, true, v3 ?? "")
    }

    func testExplicitSmallLimitLowersTheDefaultRequest() {
        let e = effective(makeSession { $0.resources = ResourceRequirements(limits: ["cpu": "100m"]) })
        XCTAssertEqual(e.resources.requests?["cpu"], "100m")
        XCTAssertEqual(e.resources.limits?["cpu"], "100m")
    }

    func testNamesThatDoNotFitDerivedObjects() {
        let name = String(repeating: "a", count: 250)
        XCTAssertTrue(violation(makeSession(name))?.contains("at most 241 fit its Secret name") ?? false)
        XCTAssertNil(violation(makeSession(String(repeating: "a", count: 241))))
    }

    func testReservedEnvAndOtherChecks() {
        XCTAssertTrue(violation(makeSession { $0.env = [EnvVar(name: "SUPERVISOR_TOKEN", value: "x")] })?
            .contains("env SUPERVISOR_TOKEN is set by the operator") ?? false)
        XCTAssertTrue(violation(makeSession { $0.restartPolicy = "Sometimes" })?.contains("restartPolicy") ?? false)
        XCTAssertTrue(violation(makeSession { $0.workdir = "relative" })?.contains("absolute path") ?? false)
        XCTAssertTrue(violation(makeSession { $0.workdir = "/opt/agent-runtime/x" })?.contains("collides") ?? false)
        XCTAssertTrue(violation(makeSession { $0.agentId = "a/b" })?.contains("must not contain '/'") ?? false)
        XCTAssertTrue(violation(makeSession { $0.workspace = .init(size: "1Gi", existingClaim: "c") })?.contains("either") ?? false)
        XCTAssertTrue(violation(makeSession { $0.login = .init(callbackUrl: "ftp://x") })?.contains("callbackUrl") ?? false)
        XCTAssertTrue(violation(makeSession { $0.registry = .init(ttlSeconds: 1) })?.contains("ttlSeconds") ?? false)
        XCTAssertTrue(violation(makeSession { $0.mcp = .init(keySecretRef: .init(name: "")) })?.contains("keySecretRef.name") ?? false)
    }

    /// Admission applies the rules `POST /spawn` applies (SpecRules), so a kubectl-made session cannot do
    /// what the API refuses; field errors are marked invalid (422 at the API) apart from policy choices (403).
    func testTheSpawnRulesHoldForSessionsWrittenWithKubectl() {
        let policy = SessionPolicy(config: OperatorConfig())
        func failure(_ s: AgentSession) -> PolicyViolation? {
            if case .failure(let v) = policy.evaluate(s) { return v }
            return nil
        }
        let many = failure(makeSession { s in s.env = (0..<5000).map { EnvVar(name: "V\($0)", value: "1") } })
        XCTAssertEqual(many?.invalid, ["env has 5000 variables; at most 256 are allowed"])
        XCTAssertNil(failure(makeSession { s in s.env = (0..<256).map { EnvVar(name: "V\($0)", value: "1") } }))
        for (name, fragment) in [("LD_PRELOAD", "dynamic loader"), ("AGENT_LOG_FILE", "belong to the runtime"),
                                 ("SUPERVISOR_TOKEN_FILE", "belong to the runtime"), ("1X", "must match"), ("GLIBC_TUNABLES", "C library")] {
            let v = failure(makeSession { $0.env = [EnvVar(name: name, value: "x")] })
            XCTAssertTrue(v?.invalid.first?.contains(fragment) ?? false, "\(name): \(v?.description ?? "admitted")")
        }
        XCTAssertTrue(failure(makeSession { $0.env = [EnvVar(name: "A", value: "1"), EnvVar(name: "A", value: "2")] })?.invalid
            .first?.contains("twice") ?? false)
        let overriding = policy  // the default config allows spec.image
        for bad in ["a;rm -rf /", "Upper", "registry.io/Upper/x", "img:bad tag", "img@sha256:abc", "-lead/x", "a//b", "x:"] {
            var s = makeSession()
            s.spec.image = bad
            guard case .failure(let v) = overriding.evaluate(s) else { XCTFail("admitted image \(bad)"); continue }
            XCTAssertEqual(v.invalid.count, 1, "\(bad): \(v)")
        }
        XCTAssertTrue(failure(makeSession { $0.workdir = "/work\u{0}space" })?.invalid.first?.contains("NUL") ?? false)
        XCTAssertTrue(failure(makeSession { $0.workdir = "relative" })?.invalid.first?.contains("absolute path") ?? false)
        // A choice the policy forbids is not an invalid field.
        var strict = OperatorConfig()
        strict.allowedAgentTypes = ["codex"]
        guard case .failure(let forbidden) = SessionPolicy(config: strict).evaluate(makeSession(type: "gemini")) else {
            return XCTFail("gemini admitted")
        }
        XCTAssertEqual(forbidden.invalid, [])
    }

    func testImageOverridePolicy() {
        var config = OperatorConfig()
        config.allowImageOverride = false
        XCTAssertTrue(violation(makeSession { $0.image = "evil:latest" }, config: config)?.contains("spec.image is not allowed") ?? false)
    }

    func testKeyRefDefaultsToApiKey() {
        let e = effective(makeSession { $0.mcp = .init(serverUrl: "https://m", keySecretRef: .init(name: "k")) })
        XCTAssertEqual(e.mcpKeyRef, .init(name: "k", key: "api-key"))
        XCTAssertEqual(e.mcpServerURL, "https://m")
    }
}
