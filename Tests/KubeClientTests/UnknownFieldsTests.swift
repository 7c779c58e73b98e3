import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

final class UnknownFieldsTests: XCTestCase {
    let serverPod: JSON = [
        "apiVersion": "v1", "kind": "Pod",
        "metadata": ["name": "p", "namespace": "a", "resourceVersion": "7", "labels": ["app": "x", "drop": "me"],
                     "managedFields": [["manager": "kubectl", "operation": "Update"]]],
        "spec": [
            "containers": [
                ["name": "sidecar", "image": "s:1", "resizePolicy": [["resourceName": "cpu", "restartPolicy": "NotRequired"]]],
                ["name": "agent", "image": "a:1", "terminationMessagePath": "/dev/termination-log", "futureField": true],
            ],
            "volumes": [["name": "v", "emptyDir": [:], "image": ["reference": "data:1"]]],
            "tolerations": [["key": "k", "operator": "Exists", "futureTolerationField": 1]],
            "priority": 0, "preemptionPolicy": "PreemptLowerPriority",
            "securityContext": ["runAsNonRoot": true, "appArmorProfile": ["type": "RuntimeDefault"]],
            "os": ["name": "linux"],
        ],
        "status": ["phase": "Running", "hostIPs": [["ip": "10.0.0.1"]], "resize": "InProgress"],
    ]

    func decodePod() throws -> Pod {
        UnknownFieldsCodec.attach(try serverPod.decode(Pod.self), raw: serverPod)
    }

    func testRecordsOnlyWhatTheModelMisses() throws {
        let pod = try decodePod()
        XCTAssertEqual(pod.unknownFields.topLevelKeys, ["spec", "status"])
        XCTAssertFalse(pod.unknownFields.isEmpty)
        let complete = UnknownFieldsCodec.attach(try JSON.parse(#"{"metadata": {"name": "s"}, "data": {"k": "dg=="}}"#).decode(Secret.self),
                                                 raw: try JSON.parse(#"{"metadata": {"name": "s"}, "data": {"k": "dg=="}}"#))
        XCTAssertTrue(complete.unknownFields.isEmpty)
    }

    func testReadModifyWriteKeepsUnknownFields() throws {
        var pod = try decodePod()
        XCTAssertNil(try JSON(encoding: pod)["spec"]["priority"].stringValue, "plain Codable never sees them")
        pod.metadata.labels?["drop"] = nil
        pod.spec?.containers[1].image = "a:2"
        pod.spec?.containers.swapAt(0, 1)
        var out = try JSON(encoding: pod)
        UnknownFieldsCodec.restore(pod, into: &out)
        var expected = serverPod
        expected["metadata"]["labels"] = ["app": "x"]
        expected["metadata"]["managedFields"] = nil
        expected["spec"]["containers"] = [
            ["name": "agent", "image": "a:2", "terminationMessagePath": "/dev/termination-log", "futureField": true],
            ["name": "sidecar", "image": "s:1", "resizePolicy": [["resourceName": "cpu", "restartPolicy": "NotRequired"]]],
        ]
        XCTAssertEqual(out, expected)
    }

    func testClearedModelledFieldsStayCleared() throws {
        var pod = try decodePod()
        pod.spec?.securityContext = nil
        pod.spec?.tolerations = [Toleration(key: "new"), Toleration(key: "other")]
        pod.status = nil
        var out = try JSON(encoding: pod)
        UnknownFieldsCodec.restore(pod, into: &out)
        XCTAssertTrue(out["spec"]["securityContext"].isNull, "the unknown appArmorProfile does not resurrect a cleared securityContext")
        XCTAssertTrue(out["status"].isNull)
        XCTAssertEqual(out["spec"]["tolerations"], [["key": "new"], ["key": "other"]],
                       "unnamed elements are matched by position only while the list keeps its length")
        XCTAssertEqual(out["spec"]["priority"], 0)
        XCTAssertEqual(out["spec"]["os"], ["name": "linux"])
    }

    func testClientRecordsAndSendsBack() async throws {
        let serverPod = self.serverPod
        let t = FakeTransport { req, _ in
            if req.method == "GET", req.pathAndQuery.hasPrefix("/api/v1/namespaces/a/pods?") {
                return .success(jsonResponse(200, ["kind": "PodList", "metadata": ["resourceVersion": "9"], "items": [serverPod]]))
            }
            return .success(jsonResponse(200, req.method == "PUT" ? req.bodyJSON! : serverPod))
        }
        let client = KubeClient(config: testConfig(), transport: t)
        var pod = try await client.get(Pod.self, name: "p", namespace: "a")
        pod.metadata.annotations = ["touched": "yes"]
        let updated = try await client.update(pod)
        let sent = try XCTUnwrap(t.requests.last?.bodyJSON)
        XCTAssertEqual(sent["spec"]["preemptionPolicy"], "PreemptLowerPriority")
        XCTAssertEqual(sent["spec"]["containers"][1]["futureField"], true)
        XCTAssertEqual(sent["status"]["resize"], "InProgress")
        XCTAssertEqual(sent["metadata"]["annotations"], ["touched": "yes"])
        XCTAssertTrue(sent["metadata"]["managedFields"].isNull, "managedFields are never sent")
        XCTAssertNil(sent["metadata"].objectValue?["managedFields"])
        XCTAssertFalse(updated.unknownFields.isEmpty, "the answer is recorded again")
        let listed = try await client.list(Pod.self, namespace: "a")
        XCTAssertEqual(listed.items.first?.unknownFields, pod.unknownFields)
    }

    func testWatchEventsRecordUnknownFields() throws {
        let frame: JSON = ["type": "MODIFIED", "object": serverPod]
        guard case .modified(let p) = try WatchEvent<Pod>.decode(frame.data()) else { return XCTFail() }
        XCTAssertEqual(p.unknownFields.topLevelKeys, ["spec", "status"])
    }
}
