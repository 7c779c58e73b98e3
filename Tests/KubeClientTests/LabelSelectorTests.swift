import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

final class LabelSelectorTests: XCTestCase {
    func testParsesAndMatches() throws {
        let s = try Selector(parsing: "app=web, tier in (a,b),env!=prod,!canary,team, version notin (1,2), gen>3")
        XCTAssertEqual(s.requirements.count, 7)
        XCTAssertTrue(s.matches(["app": "web", "tier": "a", "team": "x", "gen": "4"]))
        XCTAssertFalse(s.matches(["app": "web", "tier": "c", "team": "x", "gen": "4"]))
        XCTAssertFalse(s.matches(["app": "web", "tier": "a", "team": "x", "gen": "4", "canary": "1"]))
        XCTAssertFalse(s.matches(["app": "web", "tier": "a", "team": "x", "gen": "4", "env": "prod"]))
        XCTAssertFalse(s.matches(["app": "web", "tier": "a", "gen": "4"]))
        XCTAssertFalse(s.matches(["app": "web", "tier": "a", "team": "x", "gen": "4", "version": "2"]))
        XCTAssertFalse(s.matches(["app": "web", "tier": "a", "team": "x", "gen": "3"]))
        XCTAssertTrue(try Selector(parsing: "a==b").matches(["a": "b"]))
        XCTAssertTrue(try Selector(parsing: "").matches(nil))
        XCTAssertTrue(try Selector(parsing: "x<10").matches(["x": "9"]))
    }

    func testCanonicalString() throws {
        let s = try Selector(parsing: "z=1,a in (c,b),!m")
        XCTAssertEqual(s.description, "a in (b,c),!m,z=1", "sorted by key, as Kubernetes prints selectors")
        XCTAssertEqual(Selector(matching: ["b": "2", "a": "1"]).description, "a=1,b=2")
    }

    func testRejectsInvalid() {
        for bad in ["a=b,", "a in (b", "a in b", "=x", "a=b c", "a>x", "a b c"] {
            XCTAssertThrowsError(try Selector(parsing: bad), bad) { e in
                XCTAssertTrue("\(e)".hasPrefix("invalid label selector: "), "\(e)")
            }
        }
    }

    func testStructuredSelector() throws {
        let ls = LabelSelector(matchLabels: ["app": "x"],
                               matchExpressions: [LabelSelectorRequirement(key: "tier", operator: "NotIn", values: ["db"]),
                                                  LabelSelectorRequirement(key: "team", operator: "Exists")])
        let s = try ls.selector
        XCTAssertEqual(s.description, "app=x,team,tier notin (db)")
        XCTAssertTrue(s.matches(["app": "x", "team": "t"]))
        XCTAssertFalse(s.matches(["app": "x", "team": "t", "tier": "db"]))
        XCTAssertTrue(try LabelSelector().selector.isEmpty)
        XCTAssertThrowsError(try LabelSelector(matchExpressions: [.init(key: "a", operator: "Near")]).selector)
        XCTAssertThrowsError(try LabelSelector(matchExpressions: [.init(key: "a", operator: "In", values: [])]).selector)
    }
}
