import CurlHTTP
import Foundation
import XCTest

@testable import KubeEmulator
@testable import RuntimeCore

/// The process kubelet runs agent pods as real local processes (here a small stand-in supervisor).
final class KubeletTests: XCTestCase {
    var server: EmulatorServer!
    var root: URL!
    static let fakeSupervisor = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fake-supervisor.py").path

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("kubelet-\(UUID().uuidString)")
        var config = EmulatorServer.Configuration()
        var kubelet = ProcessKubelet.Configuration(supervisorBinary: Self.fakeSupervisor, workRoot: root.path)
        kubelet.probeInterval = .milliseconds(100)
        config.kubelet = kubelet
        server = EmulatorServer(configuration: config, logger: Logger(label: "emu", sink: .memory()))
        try server.start()
    }

    override func tearDownWithError() throws {
        server?.stop()
        if let root { try? FileManager.default.removeItem(at: root) }
    }

    var store: APIStore { server.store }
    func resource(_ plural: String) -> ResourceInfo { store.registry.lookup(group: "", version: "v1", plural: plural)! }

    func agentPod(_ name: String, env: JSON = [], command: [String] = [ProcessKubelet.injectedSupervisorPath]) -> JSON {
        [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": "default"],
            "spec": [
                "terminationGracePeriodSeconds": 5,
                "containers": [[
                    "name": "agent", "image": "demo", "workingDir": "/workspace",
                    "command": .array(command.map { .string($0) }),
                    "args": ["--agent-type", "custom", "--workdir", "/workspace", "--", "sleep", "1000"],
                    "env": env,
                    "volumeMounts": [["name": "workspace", "mountPath": "/workspace"], ["name": "home", "mountPath": "/home/agent"]],
                ]],
                "volumes": [["name": "workspace", "emptyDir": [:]], ["name": "home", "emptyDir": [:]]],
            ],
        ]
    }

    func waitFor(_ what: String, timeout: TimeInterval = 20, _ check: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try check() { return }
            usleep(50_000)
        }
        XCTFail("timed out waiting for \(what)")
    }

    func pod(_ name: String) -> JSON? { try? store.get(resource("pods"), namespace: "default", name: name) }

    func testRunsAgentPodWithItsOwnAddressEnvAndVolumes() throws {
        _ = try store.create(resource("secrets"), namespace: "default", object: [
            "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "creds"], "stringData": ["token": "s3cret"],
        ])
        _ = try store.create(resource("pods"), namespace: "default", object: agentPod("a1", env: [
            ["name": "HOME", "value": "/home/agent"],
            ["name": "SUPERVISOR_TOKEN", "valueFrom": ["secretKeyRef": ["name": "creds", "key": "token"]]],
            ["name": "POD_NAME", "valueFrom": ["fieldRef": ["fieldPath": "metadata.name"]]],
        ]))
        try waitFor("pod a1 ready") { pod("a1")?["status"]["conditions"].arrayValue?.contains { $0["type"] == "Ready" && $0["status"] == "True" } ?? false }
        let p = try XCTUnwrap(pod("a1"))
        XCTAssertEqual(p["status"]["phase"], "Running")
        XCTAssertEqual(p["spec"]["nodeName"], "kube-emulator")
        let ip = try XCTUnwrap(p["status"]["podIP"].stringValue)
        XCTAssertTrue(ip.hasPrefix("127.0."), ip)

        let r = Router.runBlocking { try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://\(ip):8077/env")) }
        let info = try JSON.parse(try XCTUnwrap(r?.body))
        XCTAssertEqual(info["env"]["SUPERVISOR_TOKEN"], "s3cret")
        XCTAssertEqual(info["env"]["POD_NAME"], "a1")
        let home = try XCTUnwrap(info["env"]["HOME"].stringValue)
        XCTAssertTrue(home.hasPrefix(root.path) && home.hasSuffix("/volumes/home"), home)
        XCTAssertTrue((info["cwd"].stringValue ?? "").hasSuffix("/volumes/workspace"))
        let argv = info["argv"].arrayValue?.compactMap(\.stringValue) ?? []
        XCTAssertEqual(Array(argv.suffix(3)), ["--", "sleep", "1000"])
        XCTAssertTrue(argv.contains("\(ip):8077"))
    }

    func testDeletionTerminatesTheProcessThenRemovesThePod() throws {
        _ = try store.create(resource("pods"), namespace: "default", object: agentPod("a2"))
        try waitFor("a2 running") { server.kubelet!.runningPods == 1 && pod("a2")?["status"]["podIP"].stringValue != nil }
        let result = try store.delete(resource("pods"), namespace: "default", name: "a2")
        XCTAssertFalse(result.completed, "a running pod is only marked while it terminates")
        try waitFor("a2 gone") { pod("a2") == nil }
        XCTAssertEqual(server.kubelet!.runningPods, 0)
    }

    /// Deleting a pod before the kubelet saw it (its watch lags behind) must not leave a process behind,
    /// tracked or not; names are reused as a spawn/stop race would.
    func testPodsDeletedBeforeTheKubeletSawThemStartNothing() throws {
        for i in 0..<30 {
            let name = "race-\(i % 3)"
            _ = try store.create(resource("pods"), namespace: "default", object: agentPod(name))
            _ = try store.delete(resource("pods"), namespace: "default", name: name)
            try waitFor("\(name) gone") { pod(name) == nil }
        }
        // The kubelet handles events in order: once this pod runs, it has seen every earlier one.
        _ = try store.create(resource("pods"), namespace: "default", object: agentPod("after"))
        try waitFor("after running") { pod("after")?["status"]["podIP"].stringValue != nil }
        try waitFor("only after's process") { server.kubelet!.runningPods == 1 && processesUnder(root.path) == 1 }
    }

    /// Live processes whose command line mentions `path` (the kubelet's pod directories are below it).
    private func processesUnder(_ path: String) -> Int {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil } ?? []
        return pids.filter { pid in
            guard let cmd = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  !stat.contains(") Z ") else { return false }
            return String(decoding: cmd, as: UTF8.self).contains(path)
        }.count
    }

    func testMissingSecretKeepsThePodWaitingUntilItAppears() throws {
        _ = try store.create(resource("pods"), namespace: "default", object: agentPod("a3", env: [
            ["name": "MCP_API_KEY", "valueFrom": ["secretKeyRef": ["name": "later", "key": "k"]]],
        ]))
        try waitFor("a3 waiting") {
            pod("a3")?["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "CreateContainerConfigError"
        }
        _ = try store.create(resource("secrets"), namespace: "default", object: [
            "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "later"], "stringData": ["k": "v"],
        ])
        try waitFor("a3 running") { pod("a3")?["status"]["containerStatuses"][0]["state"]["running"] != .null }
    }

    func testPodsWithoutTheInjectedSupervisorStayPending() throws {
        _ = try store.create(resource("pods"), namespace: "default", object: agentPod("plain", command: ["/bin/sh"]))
        // The kubelet sees pods in order: once the later agent pod runs, "plain" has been passed over.
        _ = try store.create(resource("pods"), namespace: "default", object: agentPod("after"))
        try waitFor("after running") { pod("after")?["status"]["podIP"].stringValue != nil }
        XCTAssertEqual(pod("plain")?["status"]["phase"], "Pending")
        XCTAssertEqual(pod("plain")?["spec"]["nodeName"], .null)
        XCTAssertEqual(server.kubelet!.runningPods, 1)
    }
}
