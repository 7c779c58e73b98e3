import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class BuiltinPrintersTests: XCTestCase {
    private func table(_ r: ResourceInfo, _ obj: JSON, now: Date = Fixtures.epoch) -> JSON {
        TableRenderer(resource: r, now: now).table(object: obj)
    }

    private func headers(_ t: JSON) -> [String] { (t["columnDefinitions"].arrayValue ?? []).compactMap { $0["name"].stringValue } }

    func testPods() throws {
        let s = Fixtures.store()
        var pod = try s.create(Fixtures.pods, namespace: "default", object: Fixtures.pod("p", nodeName: "n1")).object
        pod = try s.patch(Fixtures.pods, namespace: "default", name: "p", type: .merge, body: ["status": [
            "phase": "Running", "podIP": "10.1.0.5",
            "containerStatuses": [["name": "main", "ready": true, "restartCount": 2, "state": ["running": [:]]]],
        ]], subresource: "status").object
        let t = table(Fixtures.pods, pod, now: Fixtures.epoch.addingTimeInterval(125))
        XCTAssertEqual(headers(t), ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"])
        XCTAssertEqual(t["rows"][0]["cells"], ["p", "1/1", "Running", "2", "2m5s", "10.1.0.5", "n1", "<none>", "<none>"])
        XCTAssertEqual(t["columnDefinitions"][5]["priority"], 1)
    }

    func testPodStatusReasons() {
        var pod = Fixtures.pod("p")
        pod["status"] = ["phase": "Pending", "containerStatuses": [["name": "main", "state": ["waiting": ["reason": "ContainerCreating"]]]]]
        XCTAssertEqual(BuiltinPrinters.podStatus(pod), "ContainerCreating")
        pod["status"] = ["phase": "Failed", "containerStatuses": [["name": "main", "state": ["terminated": ["reason": "Error"]]]]]
        XCTAssertEqual(BuiltinPrinters.podStatus(pod), "Error")
        pod.metadata["deletionTimestamp"] = "2023-11-14T22:13:20Z"
        XCTAssertEqual(BuiltinPrinters.podStatus(pod), "Terminating")
    }

    func testNamespacesSecretsServicesLeases() throws {
        let s = Fixtures.store()
        XCTAssertEqual(table(Fixtures.namespaces, try s.get(Fixtures.namespaces, namespace: nil, name: "default"))["rows"][0]["cells"],
                       ["default", "Active", "0s"])
        let secret = try s.create(Fixtures.secrets, namespace: "default", object: ["metadata": ["name": "s"], "stringData": ["a": "1", "b": "2"]]).object
        let st = table(Fixtures.secrets, secret)
        XCTAssertEqual(headers(st), ["Name", "Type", "Data", "Age"])
        XCTAssertEqual(st["rows"][0]["cells"], ["s", "Opaque", 2, "0s"])
        let svc = try s.get(Fixtures.services, namespace: "default", name: "kubernetes")
        XCTAssertEqual(table(Fixtures.services, svc)["rows"][0]["cells"],
                       ["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP", "0s", "<none>"])
        let lease = try s.create(Fixtures.leases, namespace: "default",
                                 object: ["metadata": ["name": "leader"], "spec": ["holderIdentity": "op-1"]]).object
        XCTAssertEqual(table(Fixtures.leases, lease)["rows"][0]["cells"], ["leader", "op-1", "0s"])
    }

    func testEventsLeadWithLastSeen() {
        let event: JSON = ["metadata": ["name": "p.1"], "type": "Warning", "reason": "BackOff", "message": " restarting \n",
                           "involvedObject": ["kind": "Pod", "name": "p"], "lastTimestamp": "2023-11-14T22:12:20Z", "count": 3]
        let t = table(Fixtures.events, event)
        XCTAssertEqual(headers(t), ["Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message", "First Seen", "Count", "Name"])
        XCTAssertEqual(t["rows"][0]["cells"], ["60s", "Warning", "BackOff", "pod/p", "", "", "restarting", "<unknown>", 3, "p.1"])
    }

    func testCRDsUseCreatedAt() throws {
        let (s, _) = try Fixtures.storeWithCRD()
        let crd = try s.get(Fixtures.crds, namespace: nil, name: "agentsessions.parallax.ai")
        let t = table(Fixtures.crds, crd)
        XCTAssertEqual(headers(t), ["Name", "Created At"])
        XCTAssertEqual(t["rows"][0]["cells"], ["agentsessions.parallax.ai", "2023-11-14T22:13:20Z"])
    }
}
