import Foundation
import XCTest

@testable import KubeEmulator
@testable import RuntimeCore

/// The real `kubectl` binary against a running kube-emulator: what issue 2 requires kubectl to do.
final class ServerKubectlTests: XCTestCase {
    var server: EmulatorServer!
    var dir: URL!
    var kubeconfig: String { dir.appendingPathComponent("kubeconfig").path }
    static let crdPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("manifests/crd/agentsessions.parallax.ai.yaml").path

    override func setUpWithError() throws {
        guard Kubectl.path != nil else { throw XCTSkip("kubectl is not installed") }
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("kubectl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var config = EmulatorServer.Configuration()
        // No token: kubectl (client-go) never sends bearer tokens over plain HTTP. Token checks are
        // exercised with our own client in ServerTests.
        config.bookmarkInterval = .seconds(1)
        server = EmulatorServer(configuration: config, logger: Logger(label: "emu", sink: .memory()))
        try server.start()
        try server.writeKubeconfig(to: kubeconfig)
    }

    override func tearDownWithError() throws {
        server?.stop()
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    func kubectl(_ args: String..., input: String? = nil) throws -> Kubectl.Result {
        try Kubectl.run(args, kubeconfig: kubeconfig, input: input)
    }

    @discardableResult
    func kubectlOK(_ args: String..., input: String? = nil) throws -> String {
        let r = try Kubectl.run(args, kubeconfig: kubeconfig, input: input)
        XCTAssertEqual(r.status, 0, "kubectl \(args.joined(separator: " ")) failed: \(r.stderr)")
        return r.stdout
    }

    let session = """
        apiVersion: parallax.ai/v1alpha1
        kind: AgentSession
        metadata: {name: fix-login-bug, namespace: default}
        spec:
          agentType: codex
          capabilities: [code, review]
          workspaceId: ws-42
        """

    func applyCRDAndSession() throws {
        XCTAssertTrue(try kubectlOK("apply", "-f", Self.crdPath).contains("created"))
        try kubectlOK("wait", "--for=condition=Established", "crd/agentsessions.parallax.ai", "--timeout=20s")
        XCTAssertTrue(try kubectlOK("apply", "-f", "-", input: session).contains("agentsession.parallax.ai/fix-login-bug created"))
    }

    func testApplyGetPatchAndPrinterColumns() throws {
        try applyCRDAndSession()
        let obj = try JSON.parse(kubectlOK("get", "agentsession", "fix-login-bug", "-o", "json"))
        XCTAssertEqual(obj["spec"]["agentType"], "codex")
        XCTAssertEqual(obj["spec"]["restartPolicy"], "OnFailure", "CRD defaults are applied")
        XCTAssertEqual(obj["metadata"]["generation"], 1)

        try kubectlOK("patch", "ags", "fix-login-bug", "--type=merge", "-p", #"{"spec":{"role":"reviewer"}}"#)
        let patched = try JSON.parse(kubectlOK("get", "ags", "fix-login-bug", "-o", "json"))
        XCTAssertEqual(patched["spec"]["role"], "reviewer")
        XCTAssertEqual(patched["metadata"]["generation"], 2)

        // Re-applying the same manifest changes nothing; applying a changed one patches.
        XCTAssertTrue(try kubectlOK("apply", "-f", "-", input: session).contains("unchanged"))
        let table = try kubectlOK("get", "ags")
        XCTAssertTrue(table.contains("TYPE"), table)
        XCTAssertTrue(table.contains("PHASE"), table)
        XCTAssertTrue(table.contains("codex"), table)
        let wide = try kubectlOK("get", "ags", "-o", "wide")
        XCTAssertTrue(wide.contains("ENDPOINT"), wide)
    }

    func testInvalidSessionIsRejectedByServerValidation() throws {
        try applyCRDAndSession()
        let bad = session.replacingOccurrences(of: "agentType: codex", with: "agentType: vim")
            .replacingOccurrences(of: "fix-login-bug", with: "bad-one")
        let r = try kubectl("apply", "-f", "-", input: bad)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("spec.agentType"), r.stderr)
        XCTAssertTrue(r.stderr.contains("Unsupported value"), r.stderr)
        let unknown = try kubectl("apply", "-f", "-", input: session.replacingOccurrences(of: "workspaceId", with: "workspaceID"))
        XCTAssertNotEqual(unknown.status, 0, "strict field validation refuses unknown fields")
        XCTAssertTrue(unknown.stderr.contains("workspaceID"), unknown.stderr)
    }

    func testWatchSeesAddedModifiedDeleted() throws {
        try kubectlOK("apply", "-f", Self.crdPath)
        try kubectlOK("wait", "--for=condition=Established", "crd/agentsessions.parallax.ai", "--timeout=20s")
        let watch = try Kubectl.start(["get", "ags", "--watch", "--output-watch-events", "-o", "json"], kubeconfig: kubeconfig)
        defer { watch.terminate() }
        try kubectlOK("apply", "-f", "-", input: session)
        try kubectlOK("label", "ags", "fix-login-bug", "team=a")
        try kubectlOK("delete", "ags", "fix-login-bug")
        let types = try watch.waitForOutput(timeout: 20) { out in
            let t = Kubectl.eventTypes(out)
            return t.contains("DELETED") ? t : nil
        }
        XCTAssertEqual(types.first, "ADDED")
        XCTAssertTrue(types.contains("MODIFIED"))
        XCTAssertEqual(types.last, "DELETED")
    }

    func testWaitReturnsOnceStatusConditionIsSet() throws {
        try applyCRDAndSession()
        let wait = try Kubectl.start(["wait", "--for=condition=Ready", "ags/fix-login-bug", "--timeout=30s"], kubeconfig: kubeconfig)
        defer { wait.terminate() }
        // Not ready yet: the wait must still be running.
        usleep(300_000)
        XCTAssertTrue(wait.isRunning)
        let status = #"{"status":{"phase":"Ready","conditions":[{"type":"Ready","status":"True","reason":"AgentReady","message":"ok","lastTransitionTime":"2026-11-21T10:00:00Z"}]}}"#
        try kubectlOK("patch", "ags", "fix-login-bug", "--subresource=status", "--type=merge", "-p", status)
        let out = try wait.waitForExit(timeout: 20)
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stdout.contains("condition met"), out.stdout)
        // A status write does not bump generation.
        let obj = try JSON.parse(kubectlOK("get", "ags", "fix-login-bug", "-o", "json"))
        XCTAssertEqual(obj["metadata"]["generation"], 1)
        XCTAssertEqual(obj["status"]["phase"], "Ready")
    }

    func testDeleteHonoursFinalizers() throws {
        try applyCRDAndSession()
        try kubectlOK("patch", "ags", "fix-login-bug", "--type=merge", "-p", #"{"metadata":{"finalizers":["parallax.ai/cleanup"]}}"#)
        try kubectlOK("delete", "ags", "fix-login-bug", "--wait=false")
        let marked = try JSON.parse(kubectlOK("get", "ags", "fix-login-bug", "-o", "json"))
        XCTAssertNotEqual(marked["metadata"]["deletionTimestamp"], .null, "delete with a finalizer only marks")
        try kubectlOK("patch", "ags", "fix-login-bug", "--type=json", "-p", #"[{"op":"remove","path":"/metadata/finalizers"}]"#)
        let gone = try kubectl("get", "ags", "fix-login-bug")
        XCTAssertNotEqual(gone.status, 0)
        XCTAssertTrue(gone.stderr.contains("NotFound") || gone.stderr.contains("not found"), gone.stderr)
    }

    func testBuiltinsThroughKubectl() throws {
        // Manifests, not kubectl's imperative generators: those send protobuf, which the emulator answers
        // with 415 (docs/kube-emulator.md).
        try kubectlOK("create", "-f", "-", input: "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n")
        try kubectlOK("apply", "-f", "-", input: """
            apiVersion: v1
            kind: Secret
            metadata: {name: raven-key, namespace: team-a}
            stringData: {api-key: abc123}
            """)
        let secret = try JSON.parse(kubectlOK("get", "secret", "raven-key", "-n", "team-a", "-o", "json"))
        XCTAssertEqual(secret["data"]["api-key"], .string(Data("abc123".utf8).base64EncodedString()))
        let pod = """
            apiVersion: v1
            kind: Pod
            metadata: {name: p1, namespace: team-a, labels: {app: demo}}
            spec:
              containers: [{name: agent, image: busybox, env: [{name: A, value: "1"}]}]
            """
        try kubectlOK("apply", "-f", "-", input: pod)
        // Strategic merge patch on a built-in: containers merge by name, so the env the patch does not
        // mention survives (a JSON merge patch would replace the whole list).
        try kubectlOK("patch", "pod", "p1", "-n", "team-a", "-p", #"{"spec":{"containers":[{"name":"agent","image":"busybox:2"}]}}"#)
        let p = try JSON.parse(kubectlOK("get", "pod", "p1", "-n", "team-a", "-o", "json"))
        XCTAssertEqual(p["spec"]["containers"][0]["image"], "busybox:2")
        XCTAssertEqual(p["spec"]["containers"][0]["env"][0]["name"], "A")
        XCTAssertTrue(try kubectlOK("get", "pods", "-n", "team-a", "-l", "app=demo").contains("p1"))
        XCTAssertTrue(try kubectlOK("describe", "pod", "p1", "-n", "team-a").contains("busybox"))
        let proto = try kubectl("create", "configmap", "c1", "-n", "team-a", "--from-literal=a=b")
        XCTAssertNotEqual(proto.status, 0)
        XCTAssertTrue(proto.stderr.contains("protobuf"), proto.stderr)
        try kubectlOK("delete", "namespace", "team-a")
        XCTAssertNotEqual(try kubectl("get", "secret", "raven-key", "-n", "team-a").status, 0)
    }
}
