import Foundation
import KubeClient
import XCTest

@testable import Operator

final class OperatorConfigTests: XCTestCase {
    func testDefaults() {
        let c = OperatorConfig()
        XCTAssertEqual(c.agentTypes["codex"]?.command, ["codex"])
        XCTAssertEqual(c.agentTypes["claude"]?.command, ["claude"])
        XCTAssertEqual(c.agentTypes["gemini"]?.command, ["gemini"])
        XCTAssertEqual(c.agentTypes["aider"]?.command, ["aider"])
        XCTAssertEqual(c.agentTypes["custom"]?.command, [])
        XCTAssertEqual(c.allowedAgentTypes, OperatorConfig.knownAgentTypes)
        XCTAssertEqual(c.quotas.maxSessionsPerNamespace, 0)
        XCTAssertEqual(c.healthChecks.interval, .seconds(10))
        XCTAssertEqual(c.healthChecks.failureThreshold, 3)
        XCTAssertEqual(c.registryIdentity, "agent-runtime")
    }

    /// The shipped example states the defaults: parsing it gives the built-in configuration.
    func testShippedExampleEqualsDefaults() throws {
        let c = try OperatorConfig.parse(try repoFile("manifests/config/operator-config.yaml"))
        XCTAssertEqual(c, OperatorConfig())
    }

    func testOverrides() throws {
        let c = try OperatorConfig.parse("""
            agentTypes:
              codex: {image: registry.local/codex:1, command: [codex, --full-auto]}
            allowedAgentTypes: [codex]
            resources:
              defaults: {requests: {cpu: 100m}}
              max: {cpu: "4"}
            quotas: {maxSessionsPerNamespace: 5, maxSessionsPerWorkspace: 2, namespaces: {big: 50}}
            healthChecks: {interval: 3s, failureThreshold: 5}
            pod: {runAsUser: 2000, readOnlyRootFilesystem: true}
            supervisorImage: registry.local/runtime:1
            """)
        XCTAssertEqual(c.agentTypes["codex"], .init(image: "registry.local/codex:1", command: ["codex", "--full-auto"]))
        XCTAssertEqual(c.agentTypes["claude"]?.command, ["claude"], "other types keep their defaults")
        XCTAssertEqual(c.allowedAgentTypes, ["codex"])
        XCTAssertEqual(c.resources.defaults.requests, ["cpu": "100m"])
        XCTAssertEqual(c.resources.max, ["cpu": "4"])
        XCTAssertEqual(c.quotas.limit(namespace: "big"), 50)
        XCTAssertEqual(c.quotas.limit(namespace: "other"), 5)
        XCTAssertEqual(c.quotas.maxSessionsPerWorkspace, 2)
        XCTAssertEqual(c.healthChecks.interval, .seconds(3))
        XCTAssertEqual(c.healthChecks.failureThreshold, 5)
        XCTAssertEqual(c.pod.runAsUser, 2000)
        XCTAssertTrue(c.pod.readOnlyRootFilesystem)
        XCTAssertEqual(c.supervisorImage, "registry.local/runtime:1")
    }

    func testErrorsNameThePath() {
        let cases: [(String, String)] = [
            ("quotas: {maxSessionsPerNamespce: 3}", "quotas.maxSessionsPerNamespce: unknown field"),
            ("allowedAgentTypes: [codex, cursor]", "unknown agent type cursor"),
            ("resources: {max: {cpu: lots}}", "resources.max.cpu: not a quantity"),
            ("quotas: {maxSessionsPerNamespace: -1}", "must be at least 0"),
            ("healthChecks: {interval: soon}", "healthChecks.interval"),
            ("pod: {runAsUser: 0}", "pod.runAsUser: must be at least 1"),
            ("agentTypes: {cursor: {image: x}}", "agentTypes.cursor: unknown field"),
            ("[1, 2]", "expected a mapping"),
            ("quotas: {: }\n  - x", ""),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try OperatorConfig.parse(text, source: "test.yaml"), text) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains("test.yaml"), message)
                if !expected.isEmpty { XCTAssertTrue(message.contains(expected), "\(message) should contain \(expected)") }
            }
        }
    }

    func testEmptyFileIsDefaults() throws {
        XCTAssertEqual(try OperatorConfig.parse(""), OperatorConfig())
        XCTAssertEqual(try OperatorConfig.parse("# nothing\n"), OperatorConfig())
    }
}
