import Foundation
import RuntimeCore
import XCTest

@testable import Operator

/// manifests/rbac/ grants exactly what the code calls (RBACRequirements), no more and no less.
final class RBACRequirementsTests: XCTestCase {
    func rules(kind: String) throws -> [RBACRequirements.Rule] {
        let dir = repoRoot + "/manifests/rbac"
        var out: [RBACRequirements.Rule] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() where file.hasSuffix(".yaml") {
            for doc in try YAML.parseAll(try String(contentsOfFile: dir + "/" + file, encoding: .utf8), source: file)
            where doc["kind"].stringValue == kind {
                for rule in doc["rules"].arrayValue ?? [] {
                    let groups = rule["apiGroups"].arrayValue?.compactMap(\.stringValue) ?? []
                    let resources = rule["resources"].arrayValue?.compactMap(\.stringValue) ?? []
                    let verbs = Set(rule["verbs"].arrayValue?.compactMap(\.stringValue) ?? [])
                    XCTAssertFalse(verbs.contains("*"), "no wildcards")
                    XCTAssertFalse(resources.contains("*"), "no wildcards")
                    for g in groups { for r in resources { out.append(.init(g, r, verbs)) } }
                }
            }
        }
        return out
    }

    func testClusterRoleMatchesTheCode() throws {
        let yaml = RBACRequirements.triples(try rules(kind: "ClusterRole"))
        let code = RBACRequirements.triples(RBACRequirements.cluster)
        XCTAssertEqual(yaml.subtracting(code).sorted(), [], "granted but never used")
        XCTAssertEqual(code.subtracting(yaml).sorted(), [], "used but not granted")
    }

    func testLeaderElectionRoleMatchesTheCode() throws {
        XCTAssertEqual(RBACRequirements.triples(try rules(kind: "Role")), RBACRequirements.triples(RBACRequirements.leaderElection))
    }

    func testBindingsPointAtTheServiceAccount() throws {
        let dir = repoRoot + "/manifests/rbac"
        var subjects: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: dir) where file.hasSuffix(".yaml") {
            for doc in try YAML.parseAll(try String(contentsOfFile: dir + "/" + file, encoding: .utf8))
            where ["ClusterRoleBinding", "RoleBinding"].contains(doc["kind"].stringValue ?? "") {
                for s in doc["subjects"].arrayValue ?? [] { subjects.append("\(s["kind"].stringValue ?? "")/\(s["name"].stringValue ?? "")") }
            }
        }
        XCTAssertEqual(subjects.sorted(), ["ServiceAccount/agent-operator", "ServiceAccount/agent-operator"])
    }
}
