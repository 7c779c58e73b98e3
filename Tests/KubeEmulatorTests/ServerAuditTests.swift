import Foundation
import XCTest

@testable import KubeEmulator
@testable import RuntimeCore

/// `--audit-log`: one line per API request with the attributes RBAC decides on.
final class ServerAuditTests: XCTestCase {
    func testVerbNamesFollowTheAPIServer() {
        XCTAssertEqual(AuditLog.verb(method: "GET", hasName: true, isWatch: false), "get")
        XCTAssertEqual(AuditLog.verb(method: "GET", hasName: false, isWatch: false), "list")
        XCTAssertEqual(AuditLog.verb(method: "GET", hasName: false, isWatch: true), "watch")
        XCTAssertEqual(AuditLog.verb(method: "POST", hasName: false, isWatch: false), "create")
        XCTAssertEqual(AuditLog.verb(method: "PUT", hasName: true, isWatch: false), "update")
        XCTAssertEqual(AuditLog.verb(method: "PATCH", hasName: true, isWatch: false), "patch")
        XCTAssertEqual(AuditLog.verb(method: "DELETE", hasName: true, isWatch: false), "delete")
        XCTAssertEqual(AuditLog.verb(method: "DELETE", hasName: false, isWatch: false), "deletecollection")
    }

    func testKubectlRequestsAreRecorded() throws {
        guard Kubectl.path != nil else { throw XCTSkip("kubectl is not installed") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("audit.jsonl").path
        let kubeconfig = dir.appendingPathComponent("kubeconfig").path
        var config = EmulatorServer.Configuration()
        config.auditLog = log
        let server = EmulatorServer(configuration: config, logger: Logger(label: "emu", sink: .memory()))
        try server.start()
        defer { server.stop() }
        try server.writeKubeconfig(to: kubeconfig)

        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: audited, namespace: default}\ndata: {a: b}\n"
        XCTAssertEqual(try Kubectl.run(["create", "-f", "-"], kubeconfig: kubeconfig, input: cm).status, 0)
        XCTAssertEqual(try Kubectl.run(["get", "configmap", "audited"], kubeconfig: kubeconfig).status, 0)
        XCTAssertEqual(try Kubectl.run(["delete", "configmap", "audited"], kubeconfig: kubeconfig).status, 0)

        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { try JSON.parse(String($0)) }
        let configMapCalls = lines.filter { $0["resource"] == "configmaps" }
        let verbs = configMapCalls.compactMap { $0["verb"].stringValue }
        XCTAssertEqual(verbs.filter { $0 != "get" }, ["create", "delete"], "\(verbs)")
        XCTAssertTrue(verbs.contains("get"))
        let create = try XCTUnwrap(configMapCalls.first { $0["verb"] == "create" })
        XCTAssertEqual(create["group"], "")
        XCTAssertEqual(create["namespace"], "default")
        XCTAssertTrue(create["userAgent"].stringValue?.hasPrefix("kubectl/") == true, "\(create)")
        XCTAssertEqual(configMapCalls.first { $0["verb"] == "delete" }?["name"], "audited")
        let attrs = try FileManager.default.attributesOfItem(atPath: log)
        XCTAssertEqual((attrs[.posixPermissions] as? NSNumber)?.intValue, 0o600)
    }
}
