import Foundation
import XCTest

@testable import Registry

final class RegistryKeysTests: XCTestCase {
    func testKeyLayout() {
        let keys = RegistryKeys()
        XCTAssertEqual(keys.agentKey("team-a.fix-login-bug"), "/parallax/services/agent/team-a.fix-login-bug")
        XCTAssertEqual(RegistryKeys(prefix: "/custom/").agentsPrefix, "/custom/services/agent/")
        XCTAssertEqual(RegistryKeys(prefix: "custom").agentsPrefix, "/custom/services/agent/")
        XCTAssertEqual(keys.agentId(fromKey: "/parallax/services/agent/x.y"), "x.y")
        XCTAssertNil(keys.agentId(fromKey: "/parallax/services/agent/"))
        XCTAssertNil(keys.agentId(fromKey: "/parallax/services/other/x"))
    }

    func testOwnerTagIsStablePerIdentityAndAgent() {
        let a = LeaseOwnership(identity: "agent-runtime")
        XCTAssertEqual(a.tag(for: "x"), LeaseOwnership().tag(for: "x"), "deterministic across processes")
        XCTAssertNotEqual(a.tag(for: "x"), a.tag(for: "y"))
        XCTAssertNotEqual(a.tag(for: "x"), LeaseOwnership(identity: "other").tag(for: "x"))
        for _ in 0..<100 {
            let id = a.newLeaseId(for: "x")
            XCTAssertGreaterThan(id, 0)
            XCTAssertTrue(a.owns(lease: id, agentId: "x"))
            XCTAssertFalse(a.owns(lease: id, agentId: "y"))
            XCTAssertFalse(LeaseOwnership(identity: "other").owns(lease: id, agentId: "x"))
        }
        XCTAssertFalse(a.owns(lease: 0, agentId: "x"), "a key without lease is never ours")
        let (lower, upper) = a.leaseBounds(for: "x")
        for _ in 0..<100 {
            let id = a.newLeaseId(for: "x")
            XCTAssertTrue(id > lower && id < upper, "the id range etcd checks matches owns(lease:)")
        }
        XCTAssertFalse(a.owns(lease: lower, agentId: "x"))
        XCTAssertFalse(a.owns(lease: upper, agentId: "x"))
        XCTAssertFalse(a.owns(lease: 7_587_855_468_116_011_029, agentId: "x"), "an etcd-chosen id is not ours")
    }

    func testDescriptorValidation() {
        XCTAssertNoThrow(try testDescriptor("ok").validate())
        var d = testDescriptor("")
        XCTAssertThrowsError(try d.validate())
        d = testDescriptor("a/b")
        XCTAssertThrowsError(try d.validate())
        d = testDescriptor("a", ttl: 0)
        XCTAssertThrowsError(try d.validate())
        d = testDescriptor("a")
        d.endpoint = "10.0.0.1:8077"
        XCTAssertThrowsError(try d.validate()) { XCTAssertTrue("\($0)".hasPrefix("invalid agent: endpoint")) }
    }
}
