import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class ServiceRulesTests: XCTestCase {
    private func svc(_ name: String, _ spec: JSON = ["ports": [["port": 80]]]) -> JSON {
        ["metadata": ["name": .string(name)], "spec": spec]
    }

    func testClusterIPsAreAllocatedInOrderAndReleased() throws {
        let s = Fixtures.store()
        let a = try s.create(Fixtures.services, namespace: "default", object: svc("a")).object
        XCTAssertEqual(a["spec"]["clusterIP"], "10.96.0.2")
        XCTAssertEqual(a["spec"]["clusterIPs"], ["10.96.0.2"])
        XCTAssertEqual(a["spec"]["type"], "ClusterIP")
        XCTAssertEqual(a["spec"]["ports"][0], ["port": 80, "protocol": "TCP", "targetPort": 80])
        XCTAssertEqual(a["status"], ["loadBalancer": [:]])
        let dry = try s.create(Fixtures.services, namespace: "default", object: svc("b"), options: WriteOptions(dryRun: true)).object
        XCTAssertEqual(dry["spec"]["clusterIP"], "10.96.0.3")
        let b = try s.create(Fixtures.services, namespace: "default", object: svc("b")).object
        XCTAssertEqual(b["spec"]["clusterIP"], "10.96.0.3", "a dry run reserves nothing")
        _ = try s.delete(Fixtures.services, namespace: "default", name: "a")
        let fixed = try s.create(Fixtures.services, namespace: "default", object: svc("c", ["clusterIP": "10.96.0.2", "ports": [["port": 1]]])).object
        XCTAssertEqual(fixed["spec"]["clusterIP"], "10.96.0.2")
    }

    func testRequestedAddressesAreChecked() throws {
        let s = Fixtures.store()
        let taken = assertAPIError(422) {
            try s.create(Fixtures.services, namespace: "default", object: self.svc("a", ["clusterIP": "10.96.0.1", "ports": [["port": 1]]]))
        }
        XCTAssertEqual(taken?.causes.first?.message, "Invalid value: \"10.96.0.1\": failed to allocate IP 10.96.0.1: provided IP is already allocated")
        assertAPIError(422) {
            try s.create(Fixtures.services, namespace: "default", object: self.svc("b", ["clusterIP": "192.168.0.1", "ports": [["port": 1]]]))
        }
        let headless = try s.create(Fixtures.services, namespace: "default", object: svc("h", ["clusterIP": "None"])).object
        XCTAssertEqual(headless["spec"]["clusterIP"], "None")
    }

    func testNodePortsAndValidation() throws {
        let s = Fixtures.store()
        let np = try s.create(Fixtures.services, namespace: "default", object: svc("np", ["type": "NodePort", "ports": [["port": 80]]])).object
        XCTAssertEqual(np["spec"]["ports"][0]["nodePort"], 30000)
        let e = assertAPIError(422) {
            try s.create(Fixtures.services, namespace: "default", object: self.svc("bad", ["type": "Weird", "ports": [["port": 0], ["port": 2]]]))
        }
        XCTAssertEqual(e?.causes.map(\.field), ["spec.type", "spec.ports[0].port", "spec.ports[0].name", "spec.ports[1].name"])
        assertAPIError(422) { try s.create(Fixtures.services, namespace: "default", object: self.svc("noports", [:])) }
    }

    func testClusterIPKeptOnUpdateAndImmutable() throws {
        let s = Fixtures.store()
        let a = try s.create(Fixtures.services, namespace: "default", object: svc("a")).object
        var put = svc("a", ["ports": [["port": 81]]])
        put.metadata["resourceVersion"] = a.metadata["resourceVersion"]
        let updated = try s.update(Fixtures.services, namespace: "default", name: "a", object: put).object
        XCTAssertEqual(updated["spec"]["clusterIP"], a["spec"]["clusterIP"])
        var moved = updated
        moved["spec"]["clusterIP"] = "10.96.0.99"
        assertAPIError(422) { try s.update(Fixtures.services, namespace: "default", name: "a", object: moved) }
    }
}
