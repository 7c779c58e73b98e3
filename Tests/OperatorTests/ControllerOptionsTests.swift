import Foundation
import RuntimeCore
import XCTest

@testable import Operator

final class ControllerOptionsTests: XCTestCase {
    func parse(_ args: [String], env: [String: String] = [:]) throws -> ControllerOptions {
        try ControllerOptions(flags: try ControllerOptions.spec.parse(args, environment: env), environment: env)
    }

    func testContractDefaults() throws {
        let o = try parse([])
        XCTAssertNil(o.namespace)
        XCTAssertFalse(o.leaderElect)
        XCTAssertEqual(o.leaderElectionNamespace, "default")
        XCTAssertEqual(o.metricsAddress, "0.0.0.0:8080")
        XCTAssertEqual(o.healthAddress, "0.0.0.0:8081")
        XCTAssertEqual(o.apiAddress, "0.0.0.0:8090")
        XCTAssertEqual(o.registry.prefix, "/parallax")
        XCTAssertEqual(o.registry.etcd.endpoints, "")
        XCTAssertNil(o.kubeQPS)
        XCTAssertEqual(o.maxConcurrentReconciles, 16)
        XCTAssertEqual(o.leaseDuration, .seconds(15))
        XCTAssertEqual(o.renewDeadline, .seconds(10))
        XCTAssertEqual(o.retryPeriod, .seconds(2))
    }

    func testFlagsAndEnvironment() throws {
        let o = try parse(["--namespace", "team-a", "--leader-elect", "--metrics-addr", "127.0.0.1:9000", "--health-addr", "0",
                           "--etcd-endpoints", "http://e:2379", "--max-concurrent-reconciles", "16", "--supervisor-image", "img:1",
                           "--config", "/c.yaml", "--registry-prefix", "/p"],
                          env: ["POD_NAMESPACE": "ops"])
        XCTAssertEqual(o.namespace, "team-a")
        XCTAssertTrue(o.leaderElect)
        XCTAssertEqual(o.leaderElectionNamespace, "ops")
        XCTAssertEqual(o.metricsAddress, "127.0.0.1:9000")
        XCTAssertNil(o.healthAddress)
        XCTAssertEqual(o.registry.etcd.endpoints, "http://e:2379")
        XCTAssertEqual(o.maxConcurrentReconciles, 16)
        XCTAssertEqual(o.supervisorImage, "img:1")
        XCTAssertEqual(o.configFile, "/c.yaml")
        XCTAssertEqual(o.registry.prefix, "/p")
        let e = try parse([], env: ["AGENT_ETCD_ENDPOINTS": "http://x:1", "AGENT_LEADER_ELECT": "true",
                                    "AGENT_OPERATOR_IMAGE": "self:2", "AGENT_MAX_CONCURRENT_RECONCILES": "3"])
        XCTAssertEqual(e.registry.etcd.endpoints, "http://x:1")
        XCTAssertTrue(e.leaderElect)
        XCTAssertEqual(e.supervisorImage, "self:2", "default: the operator's own image")
        XCTAssertEqual(e.maxConcurrentReconciles, 3)
    }

    func testBadValues() {
        for args in [["--metrics-addr", "nowhere"], ["--max-concurrent-reconciles", "0"], ["--etcd-cert", "c"],
                     ["--etcd-password-file", "p"], ["--kube-api-qps", "-1"], ["--no-such-flag"]] {
            XCTAssertThrowsError(try parse(args), "\(args)")
        }
    }

    func testEveryContractFlagExists() {
        let names = Set(ControllerOptions.spec.flags.map(\.name))
        for f in ["kubeconfig", "namespace", "leader-elect", "leader-election-namespace", "metrics-addr", "health-addr", "api-addr",
                  "api-token-file", "etcd-endpoints", "etcd-cacert", "etcd-cert", "etcd-key", "etcd-username", "etcd-password-file",
                  "registry-prefix", "max-concurrent-reconciles", "supervisor-image", "config"] {
            XCTAssertTrue(names.contains(f), f)
        }
    }
}
