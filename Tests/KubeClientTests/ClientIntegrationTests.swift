import Foundation
import RuntimeCore
import XCTest

// Scoped imports: KubeEmulator has its own ListOptions, WatchEvent, LabelSelector... for its server side.
import class KubeEmulator.EmulatorServer
import struct KubeEmulator.FaultSettings

@testable import KubeClient

/// KubeClient against a real kube-emulator over HTTP (libcurl transport, bearer token from the
/// kubeconfig the emulator writes).
final class ClientIntegrationTests: XCTestCase {
    var server: EmulatorServer!
    var client: KubeClient!
    var metrics: MetricsRegistry!
    var kubeconfigPath = ""
    let quiet = Logger(label: "test", sink: .memory())
    let ns = "it"

    override func setUpWithError() throws {
        var cfg = EmulatorServer.Configuration()
        cfg.token = "s3cret"
        cfg.watchHistory = 20
        cfg.bookmarkInterval = .milliseconds(300)
        server = EmulatorServer(configuration: cfg, logger: quiet)
        try server.start()
        let dir = try temporaryDirectory(self)
        kubeconfigPath = dir + "/kubeconfig"
        try server.writeKubeconfig(to: kubeconfigPath)
        var config = try KubeConfigLoader(explicitPath: kubeconfigPath, environment: [:]).load()
        config.namespace = ns
        config.retry = RetryPolicy(maxAttempts: 10, backoff: Backoff(initial: .milliseconds(20), max: .milliseconds(200)))
        metrics = MetricsRegistry()
        client = KubeClient(config: config, metrics: metrics, logger: quiet)
    }

    override func tearDown() {
        server.stop()
    }

    func makeNamespace() async throws {
        _ = try await client!.create(Namespace(name: ns))
    }

    func agentPod(_ name: String, labels: [String: String] = [:]) -> Pod {
        Pod(metadata: ObjectMeta(name: name, labels: labels),
            spec: PodSpec(containers: [Container(name: "agent", image: "codex:1", ports: [ContainerPort(name: "supervisor", containerPort: 8077)])],
                          restartPolicy: "Never"))
    }

    func testEveryTypedVerb() async throws {
        let client = self.client!
        try await makeNamespace()
        XCTAssertEqual(client.config.credentials, .bearerToken("s3cret"))

        // create, AlreadyExists, get, NotFound
        let created = try await client.create(agentPod("p1", labels: ["app": "agent"]))
        XCTAssertEqual(created.metadata.namespace, ns)
        XCTAssertNotNil(created.metadata.uid)
        XCTAssertNotNil(created.metadata.creationTimestamp)
        do { _ = try await client.create(agentPod("p1")); XCTFail("expected AlreadyExists") } catch { XCTAssertTrue(error.isAlreadyExists, "\(error)") }
        let got = try await client.get(Pod.self, name: "p1")
        XCTAssertEqual(got.metadata.uid, created.metadata.uid)
        do { _ = try await client.get(Pod.self, name: "missing"); XCTFail("expected NotFound") } catch {
            XCTAssertTrue(error.isNotFound)
            XCTAssertEqual(error.code, 404)
        }

        // update (PUT with resourceVersion), then a stale update conflicts
        var edited = got
        edited.metadata.labels?["edited"] = "yes"
        let updated = try await client.update(edited)
        XCTAssertEqual(updated.metadata.labels?["edited"], "yes")
        XCTAssertNotEqual(updated.metadata.resourceVersion, got.metadata.resourceVersion)
        var stale = got
        stale.metadata.annotations = ["x": "y"]
        do { _ = try await client.update(stale); XCTFail("expected Conflict") } catch { XCTAssertTrue(error.isConflict, "\(error)") }

        // the four patch types
        let merged = try await client.patch(Pod.self, name: "p1", .merge(["metadata": ["labels": ["edited": nil, "merge": "1"]]]))
        XCTAssertEqual(merged.metadata.labels, ["app": "agent", "merge": "1"])
        let jsonPatched = try await client.patch(Pod.self, name: "p1", .json([.add("/metadata/annotations", ["note": "json"])]))
        XCTAssertEqual(jsonPatched.metadata.annotations?["note"], "json")
        let strategic = try await client.patch(Pod.self, name: "p1", .strategic(["metadata": ["labels": ["sm": "1"]]]))
        XCTAssertEqual(strategic.metadata.labels?["sm"], "1")
        XCTAssertEqual(strategic.spec?.containers.count, 1)
        let applied = try await client.patch(Pod.self, name: "p1", .apply(["apiVersion": "v1", "kind": "Pod",
                                                                          "metadata": ["name": "p1", "labels": ["owner": "ssa"]]]),
                                             options: PatchOptions(fieldManager: "it-test", force: true))
        XCTAssertEqual(applied.metadata.labels?["owner"], "ssa")

        // status subresource
        let withStatus = try await client.patchStatus(Pod.self, name: "p1", .merge(["status": ["phase": "Running", "podIP": "10.0.0.9"]]))
        XCTAssertEqual(withStatus.status?.phase, "Running")
        var s = try await client.getStatus(Pod.self, name: "p1")
        XCTAssertEqual(s.status?.podIP, "10.0.0.9")
        s.status?.message = "hello"
        let statusUpdated = try await client.updateStatus(s)
        XCTAssertEqual(statusUpdated.status?.message, "hello")

        // dry run persists nothing
        _ = try await client.create(agentPod("dry"), options: WriteOptions(dryRun: true))
        do { _ = try await client.get(Pod.self, name: "dry"); XCTFail("dry run persisted") } catch { XCTAssertTrue(error.isNotFound) }

        // delete with a failing precondition, then for real
        do {
            _ = try await client.delete(Pod.self, name: "p1", options: DeleteOptions(preconditionUID: "not-the-uid"))
            XCTFail("expected a precondition conflict")
        } catch {
            XCTAssertTrue(error.isConflict, "\(error)")
        }
        _ = try await client.delete(Pod.self, name: "p1", options: DeleteOptions(propagationPolicy: .background, gracePeriodSeconds: 0))
        do { _ = try await client.get(Pod.self, name: "p1"); XCTFail("still there") } catch { XCTAssertTrue(error.isNotFound) }
    }

    func testListPagingSelectorsAndDeleteCollection() async throws {
        let client = self.client!
        try await makeNamespace()
        for i in 0..<7 {
            _ = try await client.create(Secret(metadata: ObjectMeta(name: "s\(i)", labels: ["set": i < 5 ? "a" : "b"]),
                                               stringData: ["k": "v\(i)"]))
        }
        let page = try await client.list(Secret.self, namespace: ns, options: ListOptions(labelSelector: "set=a", limit: 2))
        XCTAssertEqual(page.items.count, 2)
        XCTAssertNotNil(page.metadata.continue)
        XCTAssertEqual(page.items.first?.string("k"), "v0", "stringData came back as data")
        let all = try await client.listAll(Secret.self, namespace: ns, options: ListOptions(labelSelector: "set=a", limit: 2))
        XCTAssertEqual(all.items.map(\.name).sorted(), ["s0", "s1", "s2", "s3", "s4"])
        XCTAssertNotNil(all.metadata.resourceVersion)
        let byField = try await client.list(Secret.self, namespace: ns, options: ListOptions(fieldSelector: "metadata.name=s6"))
        XCTAssertEqual(byField.items.map(\.name), ["s6"])
        _ = try await client.deleteCollection(Secret.self, namespace: ns, listOptions: ListOptions(labelSelector: "set=a", limit: nil))
        let rest = try await client.listAll(Secret.self, namespace: ns)
        XCTAssertEqual(rest.items.map(\.name).sorted(), ["s5", "s6"])
    }

    func testDynamicPathWithACustomResource() async throws {
        let client = self.client!
        try await makeNamespace()
        let crds = DynamicResource(group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions",
                                   kind: "CustomResourceDefinition", namespaced: false)
        let schema: JSON = [
            "type": "object",
            "properties": [
                "spec": ["type": "object", "x-kubernetes-preserve-unknown-fields": true,
                         "properties": ["agentType": ["type": "string"]]],
                "status": ["type": "object", "x-kubernetes-preserve-unknown-fields": true],
            ],
        ]
        _ = try await client.create(crds, [
            "metadata": ["name": "agentsessions.parallax.ai"],
            "spec": [
                "group": "parallax.ai", "scope": "Namespaced",
                "names": ["plural": "agentsessions", "singular": "agentsession", "kind": "AgentSession", "shortNames": ["ags"]],
                "versions": [["name": "v1alpha1", "served": true, "storage": true, "schema": ["openAPIV3Schema": schema],
                              "subresources": ["status": [:]]]],
            ],
        ])
        let sessions = DynamicResource(group: "parallax.ai", version: "v1alpha1", plural: "agentsessions", kind: "AgentSession")
        let created = try await client.create(sessions, ["metadata": ["name": "s1"], "spec": ["agentType": "codex", "future": ["x": 1]]])
        XCTAssertEqual(created["metadata"]["generation"], 1)
        XCTAssertEqual(created["spec"]["future"]["x"], 1, "unknown fields survive on the unstructured path")
        var obj = try await client.get(sessions, name: "s1")
        obj["spec"]["agentType"] = "claude"
        let updated = try await client.update(sessions, obj)
        XCTAssertEqual(updated["spec"]["future"]["x"], 1)
        XCTAssertEqual(updated["metadata"]["generation"], 2)
        var withStatus = updated
        withStatus["status"] = ["phase": "Ready", "observedGeneration": 2]
        let st = try await client.updateStatus(sessions, withStatus)
        XCTAssertEqual(st["status"]["phase"], "Ready")
        XCTAssertEqual(st["metadata"]["generation"], 2, "status writes do not bump the generation")
        let patched = try await client.patchStatus(sessions, name: "s1", .merge(["status": ["phase": "Stopping"]]))
        XCTAssertEqual(patched["status"]["phase"], "Stopping")
        let list = try await client.listAll(sessions, namespace: ns)
        XCTAssertEqual(list.items.map(\.name), ["s1"])
        XCTAssertEqual(list.items.first?["kind"], "AgentSession")
        _ = try await client.delete(sessions, name: "s1")
        do { _ = try await client.get(sessions, name: "s1"); XCTFail("still there") } catch { XCTAssertTrue(error.isNotFound) }
    }

    func testRawWatchSeesAddedModifiedDeletedAndDecodesGone() async throws {
        let client = self.client!
        try await makeNamespace()
        let start = try await client.list(Secret.self, namespace: ns)
        let rv = try XCTUnwrap(start.metadata.resourceVersion)
        let stream = try await client.watch(Secret.self, namespace: ns, resourceVersion: rv, timeoutSeconds: 30)
        let writer = Task {
            _ = try await client.create(Secret(metadata: ObjectMeta(name: "w")))
            _ = try await client.patch(Secret.self, name: "w", .merge(["metadata": ["labels": ["a": "b"]]]))
            _ = try await client.delete(Secret.self, name: "w")
        }
        var types: [String] = []
        for try await e in stream {
            if case .bookmark = e { continue }
            types.append(e.type + " " + (e.object?.name ?? ""))
            if types.count == 3 { break }
        }
        try await writer.value
        XCTAssertEqual(types, ["ADDED w", "MODIFIED w", "DELETED w"])

        // Push the starting version out of the (20-event) history: the server answers with an ERROR event.
        for i in 0..<25 { _ = try await client.create(Secret(metadata: ObjectMeta(name: "g\(i)"))) }
        var gone: Status?
        for try await e in try await client.watch(Secret.self, namespace: ns, resourceVersion: rv) {
            if case .error(let s) = e { gone = s; break }
        }
        XCTAssertEqual(gone?.code, 410)
    }

    /// Record of a watcher's output.
    func record(_ watcher: Watcher<Secret>, into events: Recorder<String>) -> Task<Void, Never> {
        Task {
            for await e in watcher {
                switch e {
                case .restarted(let items): events.append("restarted " + items.map(\.name).sorted().joined(separator: ","))
                case .added(let o): events.append("added " + o.name)
                case .modified(let o): events.append("modified " + o.name)
                case .deleted(let o): events.append("deleted " + o.name)
                }
            }
        }
    }

    func testWatcherResumesAfterDroppedConnection() async throws {
        let (client, server) = (self.client!, self.server!)
        try await makeNamespace()
        _ = try await client.create(Secret(metadata: ObjectMeta(name: "before")))
        let gate = WatchGate()
        let events = Recorder<String>()
        let task = record(Watcher(source: gate.wrap(client.watcher(Secret.self, namespace: ns).source), logger: quiet), into: events)
        defer { task.cancel() }
        await assertEventually { events.items == ["restarted before"] && server.store.watchCount == 1 }
        let one = try await client.create(Secret(metadata: ObjectMeta(name: "one")))
        await assertEventually { events.items.contains("added one") }

        // Cut the connection and hold the reconnect until something was written meanwhile.
        gate.close()
        server.dropWatches()
        await assertEventually { gate.requested.count == 2 && server.store.watchCount == 0 }
        let resumeFrom = try XCTUnwrap(Int(gate.requested[1]))
        XCTAssertGreaterThanOrEqual(resumeFrom, Int(one.metadata.resourceVersion ?? "") ?? .max, "resumes from the last seen version")
        _ = try await client.create(Secret(metadata: ObjectMeta(name: "while-down")))
        gate.open()
        await assertEventually { events.items.contains("added while-down") }
        _ = try await client.delete(Secret.self, name: "one")
        await assertEventually { events.items.contains("deleted one") }
        XCTAssertEqual(events.items.filter { $0.hasPrefix("restarted") }.count, 1, "resumed, not relisted: \(events.items)")
    }

    func testWatcherRelistsAfterGone() async throws {
        let (client, server) = (self.client!, self.server!)
        try await makeNamespace()
        _ = try await client.create(Secret(metadata: ObjectMeta(name: "old")))
        let gate = WatchGate()
        let events = Recorder<String>()
        let task = record(Watcher(source: gate.wrap(client.watcher(Secret.self, namespace: ns).source), logger: quiet), into: events)
        defer { task.cancel() }
        await assertEventually { events.items == ["restarted old"] && server.store.watchCount == 1 }
        gate.close()
        server.dropWatches()
        await assertEventually { gate.requested.count == 2 && server.store.watchCount == 0 }
        // While no watch is open, change things and compact the history, as etcd does.
        _ = try await client.delete(Secret.self, name: "old")
        _ = try await client.create(Secret(metadata: ObjectMeta(name: "new")))
        server.store.compactHistory()
        gate.open()
        await assertEventually { events.items.count >= 2 }
        XCTAssertEqual(events.items, ["restarted old", "restarted new"])
    }

    func testRetriesTooManyRequestsWithRetryAfter() async throws {
        let (client, server, metrics) = (self.client!, self.server!, self.metrics!)
        var faults = FaultSettings()
        faults.errorRate = 1
        faults.errorStatus = 429
        faults.retryAfterSeconds = 1
        server.faultSettings = faults
        let start = ContinuousClock.now
        let request = Task { try await client.get(Namespace.self, name: "default") }
        await assertEventually {
            metrics.counter("rest_client_requests_total", help: "", labelNames: ["code", "method", "host"])
                .value(labels: ["429", "GET", client.config.host]) >= 1
        }
        server.faultSettings = FaultSettings()
        let ns = try await request.value
        XCTAssertEqual(ns.metadata.name, "default")
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(950), "waited for Retry-After")
        let ok = metrics.counter("rest_client_requests_total", help: "", labelNames: ["code", "method", "host"])
            .value(labels: ["200", "GET", client.config.host])
        XCTAssertEqual(ok, 1)
    }

    func testConflictRetryLoop() async throws {
        let client = self.client!
        try await makeNamespace()
        _ = try await client.create(ConfigMap(metadata: ObjectMeta(name: "counter"), data: ["n": "0"]))
        // Ten concurrent read-modify-write increments; conflicts are retried with a fresh read.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    while true {
                        var cm = try await client.get(ConfigMap.self, name: "counter")
                        let n = Int(cm.data?["n"] ?? "0") ?? 0
                        cm.data?["n"] = String(n + 1)
                        do {
                            _ = try await client.update(cm)
                            return
                        } catch let e as KubeError where e.isConflict {
                            continue
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let final = try await client.get(ConfigMap.self, name: "counter")
        XCTAssertEqual(final.data?["n"], "10")
    }

    func testInformerTracksTheCluster() async throws {
        let client = self.client!
        try await makeNamespace()
        _ = try await client.create(agentPod("a", labels: ["app": "agent"]))
        let informer = Informer<Pod>(client: client, namespace: ns, labelSelector: "app=agent")
        let run = Task { await informer.run() }
        defer { run.cancel() }
        await informer.waitForSync()
        XCTAssertEqual(informer.store.keys, ["\(ns)/a"])
        _ = try await client.create(agentPod("b", labels: ["app": "agent"]))
        _ = try await client.create(agentPod("other"))
        await assertEventually { informer.store.count == 2 }
        _ = try await client.delete(Pod.self, name: "a", options: DeleteOptions(gracePeriodSeconds: 0))
        let ns = self.ns
        await assertEventually { informer.store.keys == ["\(ns)/b"] }
        XCTAssertEqual(informer.store.list(selector: try Selector(parsing: "app=agent")).map(\.name), ["b"])
    }

    func testWrongTokenIsUnauthorized() async throws {
        let client = self.client!
        var config = client.config
        config.credentials = .bearerToken("wrong")
        let bad = KubeClient(config: config, logger: quiet)
        do {
            _ = try await bad.get(Namespace.self, name: "default")
            XCTFail("expected 401")
        } catch {
            XCTAssertTrue(error.isUnauthorized, "\(error)")
        }
        let version = try await client.serverVersion()
        XCTAssertNotNil(version["gitVersion"].stringValue)
    }
}

/// Holds watch (re)connections while closed, and records the resourceVersion each one asked for.
final class WatchGate: @unchecked Sendable {
    private let state = Locked((open: true, requested: [String]()))

    var requested: [String] { state.current.requested }
    func close() { state.withLock { $0.open = false } }
    func open() { state.withLock { $0.open = true } }

    func wrap<T: KubeObject>(_ source: WatcherSource<T>) -> WatcherSource<T> {
        WatcherSource(list: source.list, watch: { (rv: String) async throws(KubeError) -> WatchStream<T> in
            self.state.withLock { $0.requested.append(rv) }
            while !self.state.current.open {
                if Task.isCancelled { throw .cancelled }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return try await source.watch(rv)
        })
    }
}
