import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

final class ClientTests: XCTestCase {
    let sessions = DynamicResource(group: "parallax.ai", version: "v1alpha1", plural: "agentsessions", kind: "AgentSession")

    func echoTransport() -> FakeTransport {
        FakeTransport { req, _ in
            // Echo the body back (as a server would return the stored object), or a small object.
            if let b = req.bodyJSON, req.method == "POST" || req.method == "PUT" {
                var o = b
                o["metadata"]["resourceVersion"] = "100"
                return .success(jsonResponse(req.method == "POST" ? 201 : 200, o))
            }
            return .success(jsonResponse(200, ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p", "namespace": "team-a"]]))
        }
    }

    func testTypedVerbsBuildTheRightRequests() async throws {
        let t = echoTransport()
        let metrics = MetricsRegistry()
        let client = KubeClient(config: testConfig(credentials: .bearerToken("tok")), transport: t, metrics: metrics)

        _ = try await client.get(Pod.self, name: "p")
        var pod = try await client.create(Pod(metadata: ObjectMeta(name: "p", namespace: "other")), options: WriteOptions(fieldManager: "op"))
        XCTAssertEqual(pod.metadata.resourceVersion, "100")
        pod.metadata.labels = ["a": "b"]
        _ = try await client.update(pod, options: WriteOptions(dryRun: true))
        _ = try await client.updateStatus(pod)
        _ = try await client.getStatus(Pod.self, name: "p", namespace: "x")
        _ = try await client.patch(Pod.self, name: "p", .merge(["metadata": ["labels": ["a": nil]]]))
        _ = try await client.patchStatus(Pod.self, name: "p", .json([.replace("/status/phase", "Running")]))
        _ = try await client.patch(Pod.self, name: "p", .strategic(["spec": ["containers": [["name": "c", "image": "i2"]]]]))
        _ = try await client.patch(Pod.self, name: "p", .apply(["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p"]]),
                                   options: PatchOptions(fieldManager: "agent-operator", force: true))
        _ = try await client.delete(Pod.self, name: "p", options: DeleteOptions(propagationPolicy: .foreground, gracePeriodSeconds: 0,
                                                                              preconditionUID: "u1", dryRun: true))
        _ = try await client.deleteCollection(Pod.self, namespace: "x", listOptions: ListOptions(labelSelector: "app=x", limit: nil))
        _ = try await client.get(Namespace.self, name: "team-a", namespace: "ignored")

        let r = t.requests
        XCTAssertEqual(r.map { "\($0.method) \($0.pathAndQuery)" }, [
            "GET /api/v1/namespaces/team-a/pods/p",
            "POST /api/v1/namespaces/other/pods?fieldManager=op",
            "PUT /api/v1/namespaces/other/pods/p?dryRun=All",
            "PUT /api/v1/namespaces/other/pods/p/status",
            "GET /api/v1/namespaces/x/pods/p/status",
            "PATCH /api/v1/namespaces/team-a/pods/p",
            "PATCH /api/v1/namespaces/team-a/pods/p/status",
            "PATCH /api/v1/namespaces/team-a/pods/p",
            "PATCH /api/v1/namespaces/team-a/pods/p?fieldManager=agent-operator&force=true",
            "DELETE /api/v1/namespaces/team-a/pods/p",
            "DELETE /api/v1/namespaces/x/pods?labelSelector=app%3Dx",
            "GET /api/v1/namespaces/team-a",
        ])
        XCTAssertEqual(r[0].url, "https://k8s.example:6443/api/v1/namespaces/team-a/pods/p")
        XCTAssertEqual(r[0].header("Authorization"), "Bearer tok")
        XCTAssertEqual(r[0].header("User-Agent"), "agent-runtime/\(KubeClient.version)")
        XCTAssertEqual(r[0].header("Accept"), "application/json")
        XCTAssertEqual(r[1].header("Content-Type"), "application/json")
        XCTAssertEqual(r[1].bodyJSON?["kind"], "Pod")
        XCTAssertEqual(r[1].bodyJSON?["apiVersion"], "v1")
        XCTAssertEqual(r[2].bodyJSON?["metadata"]["resourceVersion"], "100", "update is conditional on the version read")
        XCTAssertEqual(r[5].header("Content-Type"), "application/merge-patch+json")
        XCTAssertEqual(r[5].bodyJSON, ["metadata": ["labels": ["a": nil]]])
        XCTAssertEqual(r[6].header("Content-Type"), "application/json-patch+json")
        XCTAssertEqual(r[6].bodyJSON, [["op": "replace", "path": "/status/phase", "value": "Running"]])
        XCTAssertEqual(r[7].header("Content-Type"), "application/strategic-merge-patch+json")
        XCTAssertEqual(r[8].header("Content-Type"), "application/apply-patch+yaml")
        XCTAssertEqual(r[9].bodyJSON, ["apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Foreground",
                                      "gracePeriodSeconds": 0, "preconditions": ["uid": "u1"], "dryRun": ["All"]])
        XCTAssertEqual(r[0].timeout, .seconds(30))
        XCTAssertEqual(metrics.counter("rest_client_requests_total", help: "", labelNames: ["code", "method", "host"])
            .value(labels: ["200", "GET", "k8s.example:6443"]), 3)
        XCTAssertEqual(metrics.counter("rest_client_requests_total", help: "", labelNames: ["code", "method", "host"])
            .value(labels: ["201", "POST", "k8s.example:6443"]), 1)
    }

    func testApplyNeedsFieldManager() async {
        let client = KubeClient(config: testConfig(), transport: echoTransport())
        do {
            _ = try await client.patch(Pod.self, name: "p", .apply(["metadata": ["name": "p"]]))
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.description, "kube request: server-side apply of pods \"p\" needs a fieldManager")
        }
        do {
            _ = try await client.update(Pod(metadata: ObjectMeta()))
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.description, "kube request: update of pods needs metadata.name")
        }
    }

    func testDynamicVerbs() async throws {
        let t = echoTransport()
        let client = KubeClient(config: testConfig(), transport: t)
        let created = try await client.create(sessions, ["metadata": ["name": "s"], "spec": ["agentType": "codex", "unknown": [1]]])
        XCTAssertEqual(created["spec"]["unknown"], [1])
        var withManaged = created
        withManaged["metadata"]["managedFields"] = [["manager": "kubectl"]]
        _ = try await client.update(sessions, withManaged)
        XCTAssertNil(t.requests.last?.bodyJSON?["metadata"].objectValue?["managedFields"], "never sent, even on the unstructured path")
        XCTAssertEqual(t.requests.last?.bodyJSON?["spec"]["unknown"], [1])
        XCTAssertEqual(t.requests[0].bodyJSON?["apiVersion"], "parallax.ai/v1alpha1")
        XCTAssertEqual(t.requests[0].bodyJSON?["kind"], "AgentSession")
        _ = try await client.updateStatus(sessions, created)
        _ = try await client.get(sessions, name: "s")
        _ = try await client.patchStatus(sessions, name: "s", .merge(["status": ["phase": "Ready"]]))
        let crd = DynamicResource(group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions",
                                  kind: "CustomResourceDefinition", namespaced: false)
        _ = try await client.delete(crd, name: "agentsessions.parallax.ai")
        XCTAssertEqual(t.requests.map { "\($0.method) \($0.pathAndQuery)" }, [
            "POST /apis/parallax.ai/v1alpha1/namespaces/team-a/agentsessions",
            "PUT /apis/parallax.ai/v1alpha1/namespaces/team-a/agentsessions/s",
            "PUT /apis/parallax.ai/v1alpha1/namespaces/team-a/agentsessions/s/status",
            "GET /apis/parallax.ai/v1alpha1/namespaces/team-a/agentsessions/s",
            "PATCH /apis/parallax.ai/v1alpha1/namespaces/team-a/agentsessions/s/status",
            "DELETE /apis/apiextensions.k8s.io/v1/customresourcedefinitions/agentsessions.parallax.ai",
        ])
    }

    func testListAllFollowsContinueTokens() async throws {
        let t = FakeTransport { req, _ in
            let q = req.pathAndQuery
            func item(_ n: String) -> JSON { ["metadata": ["name": .string(n), "namespace": "a"]] }
            if q.contains("continue=t2") {
                return .success(jsonResponse(200, ["kind": "PodList", "metadata": ["resourceVersion": "50"], "items": [item("c")]]))
            }
            if q.contains("continue=t1") {
                return .success(jsonResponse(200, ["kind": "PodList", "metadata": ["resourceVersion": "50", "continue": "t2"], "items": [item("b")]]))
            }
            return .success(jsonResponse(200, ["kind": "PodList", "metadata": ["resourceVersion": "50", "continue": "t1", "remainingItemCount": 2],
                                               "items": [item("a")]]))
        }
        let client = KubeClient(config: testConfig(), transport: t)
        let all = try await client.listAll(Pod.self, options: ListOptions(labelSelector: "app=x"))
        XCTAssertEqual(all.items.map(\.name), ["a", "b", "c"])
        XCTAssertEqual(all.metadata.resourceVersion, "50")
        XCTAssertNil(all.metadata.continue)
        XCTAssertEqual(t.requests.map(\.pathAndQuery), [
            "/api/v1/pods?labelSelector=app%3Dx&limit=500",
            "/api/v1/pods?labelSelector=app%3Dx&limit=500&continue=t1",
            "/api/v1/pods?labelSelector=app%3Dx&limit=500&continue=t2",
        ])
        let page = try await client.list(sessions, namespace: "a", options: ListOptions(limit: 1))
        XCTAssertEqual(page.metadata.continue, "t1")
        XCTAssertEqual(page.items.first?["kind"], "AgentSession", "list items get apiVersion and kind back")
    }

    func testExpiredContinueTokenFallsBackToFullList() async throws {
        let t = FakeTransport { req, _ in
            let q = req.pathAndQuery
            if q.contains("continue=") { return .success(jsonResponse(410, statusJSON(410, "Expired", "continue token expired"))) }
            if q.contains("limit=") {
                return .success(jsonResponse(200, ["metadata": ["resourceVersion": "5", "continue": "t1"], "items": [["metadata": ["name": "a"]]]]))
            }
            return .success(jsonResponse(200, ["metadata": ["resourceVersion": "9"], "items": [["metadata": ["name": "a"]], ["metadata": ["name": "b"]]]]))
        }
        let all = try await KubeClient(config: testConfig(), transport: t).listAll(Pod.self, namespace: "a")
        XCTAssertEqual(all.items.map(\.name), ["a", "b"])
        XCTAssertEqual(all.metadata.resourceVersion, "9")
        XCTAssertEqual(t.requests.last?.pathAndQuery, "/api/v1/namespaces/a/pods")
    }

    func testRetriesTooManyRequestsHonouringRetryAfter() async throws {
        let t = FakeTransport { _, n in
            n < 3 ? .success(jsonResponse(429, statusJSON(429, "TooManyRequests", "slow down"), headers: ["retry-after": "1"]))
                : .success(jsonResponse(201, ["metadata": ["name": "p"]]))
        }
        let metrics = MetricsRegistry()
        let client = KubeClient(config: testConfig(), transport: t, metrics: metrics)
        let start = ContinuousClock.now
        _ = try await client.create(Pod(metadata: ObjectMeta(name: "p")))
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .seconds(2), "waited Retry-After twice")
        XCTAssertEqual(t.requests.count, 3)
        let c = metrics.counter("rest_client_requests_total", help: "", labelNames: ["code", "method", "host"])
        XCTAssertEqual(c.value(labels: ["429", "POST", "k8s.example:6443"]), 2)
        XCTAssertEqual(c.value(labels: ["201", "POST", "k8s.example:6443"]), 1)
    }

    func testRetriesAreBounded() async {
        let t = FakeTransport { _, _ in .success(jsonResponse(503, statusJSON(503, "ServiceUnavailable", "down"))) }
        let client = KubeClient(config: testConfig(retry: RetryPolicy(maxAttempts: 4, backoff: Backoff(initial: .milliseconds(1), max: .milliseconds(2)))),
                                transport: t)
        do {
            _ = try await client.get(Pod.self, name: "p")
            XCTFail("expected an error")
        } catch {
            XCTAssertTrue(error.isServiceUnavailable)
            XCTAssertEqual(error.description, "kube api 503 ServiceUnavailable: down")
        }
        XCTAssertEqual(t.requests.count, 4)
        // A create is not retried on a 500: it may have been applied.
        let t2 = FakeTransport { _, _ in .success(jsonResponse(500, statusJSON(500, "InternalError", "boom"))) }
        do {
            _ = try await KubeClient(config: testConfig(), transport: t2).create(Pod(metadata: ObjectMeta(name: "p")))
            XCTFail("expected an error")
        } catch {
            XCTAssertTrue(error.isInternalError)
        }
        XCTAssertEqual(t2.requests.count, 1)
    }

    func testTransportErrorsRetryIdempotentVerbsAndCountAsError() async throws {
        let t = FakeTransport { _, n in n == 1 ? .failure(.connectionFailed("refused")) : .success(jsonResponse(200, ["metadata": ["name": "p"]])) }
        let metrics = MetricsRegistry()
        let client = KubeClient(config: testConfig(), transport: t, metrics: metrics)
        _ = try await client.get(Pod.self, name: "p")
        XCTAssertEqual(t.requests.count, 2)
        XCTAssertEqual(metrics.counter("rest_client_requests_total", help: "", labelNames: ["code", "method", "host"])
            .value(labels: ["<error>", "GET", "k8s.example:6443"]), 1)
        let failing = FakeTransport { _, _ in .failure(.connectionFailed("refused")) }
        do {
            _ = try await KubeClient(config: testConfig(), transport: failing).create(Pod(metadata: ObjectMeta(name: "p")))
            XCTFail("expected an error")
        } catch {
            XCTAssertTrue(error.isTransport)
            XCTAssertEqual(error.description, "kube transport: connection failed: refused")
        }
        XCTAssertEqual(failing.requests.count, 1)
    }

    func testErrorsCarryStatus() async {
        let t = FakeTransport { req, _ in
            if req.url.hasSuffix("/conflict") { return .success(jsonResponse(409, statusJSON(409, "Conflict", "the object has been modified"))) }
            if req.url.hasSuffix("/plain") { return .success(KubeHTTPResponse(status: 404, body: Data("404 page not found\n".utf8))) }
            return .success(jsonResponse(404, statusJSON(404, "NotFound", "pods \"x\" not found")))
        }
        let client = KubeClient(config: testConfig(), transport: t)
        for (name, check) in [("x", \KubeError.isNotFound), ("conflict", \KubeError.isConflict), ("plain", \KubeError.isNotFound)] {
            do {
                _ = try await client.get(Pod.self, name: name)
                XCTFail("expected an error")
            } catch {
                XCTAssertTrue(error[keyPath: check], "\(name): \(error)")
            }
        }
        do { _ = try await client.get(Pod.self, name: "plain") } catch {
            XCTAssertEqual(error.description, "kube api 404 NotFound: 404 page not found")
        }
    }

    func testDecodingErrorsAreOneLine() async {
        let t = FakeTransport { _, _ in .success(jsonResponse(200, ["metadata": ["name": 5]])) }
        do {
            _ = try await KubeClient(config: testConfig(), transport: t).get(Pod.self, name: "p")
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.description, "kube response: cannot decode Pod: metadata.name: expected String")
        }
    }

    func testDeleteResults() async throws {
        let t = FakeTransport { req, _ in
            req.url.hasSuffix("/gone")
                ? .success(jsonResponse(200, ["kind": "Status", "apiVersion": "v1", "status": "Success", "details": ["name": "gone"]]))
                : .success(jsonResponse(200, ["metadata": ["name": "pending", "deletionTimestamp": "2024-01-01T00:00:00Z", "finalizers": ["f"]]]))
        }
        let client = KubeClient(config: testConfig(), transport: t)
        guard case .deleted(let s) = try await client.delete(Pod.self, name: "gone") else { return XCTFail() }
        XCTAssertTrue(s.isSuccess)
        guard case .object(let p) = try await client.delete(Pod.self, name: "pending") else { return XCTFail() }
        XCTAssertTrue(p.metadata.isDeleting)
    }

    func testCancellationStopsRetrying() async {
        let t = FakeTransport { _, _ in .success(jsonResponse(429, statusJSON(429, "TooManyRequests", ""), headers: ["retry-after": "30"])) }
        let client = KubeClient(config: testConfig(), transport: t)
        let task = Task { () -> KubeError? in
            do { _ = try await client.get(Pod.self, name: "p"); return nil } catch { return error as? KubeError }
        }
        try? await Task.sleep(for: .milliseconds(50))
        task.cancel()
        let error = await task.value
        XCTAssertEqual(error?.isCancelled, true)
        XCTAssertEqual(t.requests.count, 1)
    }
}
