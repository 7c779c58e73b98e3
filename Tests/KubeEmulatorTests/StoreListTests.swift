import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class StoreListTests: XCTestCase {
    private let cm = Fixtures.configmaps

    private func seed(_ s: APIStore, _ n: Int = 5) throws {
        _ = try s.create(Fixtures.namespaces, namespace: nil, object: Fixtures.namespace("b-ns"))
        for i in 0..<n {
            _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("cm\(i)", labels: ["i": "\(i)", "app": i < 3 ? "web" : "db"]))
        }
        _ = try s.create(cm, namespace: "b-ns", object: Fixtures.configMap("other", ns: "b-ns", labels: ["app": "web"]))
    }

    func testListSortedByNamespaceThenName() throws {
        let s = Fixtures.store()
        try seed(s)
        let all = try s.list(cm, namespace: nil)
        XCTAssertEqual(all.items.map { "\($0.namespace)/\($0.name)" },
                       ["b-ns/other", "default/cm0", "default/cm1", "default/cm2", "default/cm3", "default/cm4"])
        XCTAssertEqual(all.resourceVersion, s.resourceVersion)
        XCTAssertTrue(all.items[0]["kind"].isNull, "typed lists carry no per-item kind")
        let json = all.json(for: cm)
        XCTAssertEqual(json["kind"], "ConfigMapList")
        XCTAssertEqual(json["metadata"]["resourceVersion"], .string(s.resourceVersion))
    }

    func testCustomResourceListItemsKeepKind() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        _ = try s.create(ags, namespace: "default", object: Fixtures.session("x"))
        XCTAssertEqual(try s.list(ags, namespace: "default").items.first?["kind"], "AgentSession")
    }

    func testLabelAndFieldSelectors() throws {
        let s = Fixtures.store()
        try seed(s)
        XCTAssertEqual(try s.list(cm, namespace: "default", options: ListOptions(labelSelector: "app=web,i!=1")).items.map(\.name), ["cm0", "cm2"])
        XCTAssertEqual(try s.list(cm, namespace: nil, options: ListOptions(labelSelector: "app in (web)")).items.count, 4)
        XCTAssertEqual(try s.list(cm, namespace: nil, options: ListOptions(fieldSelector: "metadata.namespace=b-ns")).items.map(\.name), ["other"])
        XCTAssertEqual(try s.list(cm, namespace: "default", options: ListOptions(fieldSelector: "metadata.name!=cm0")).items.count, 4)
    }

    func testBadSelectorsAreBadRequests() throws {
        let s = Fixtures.store()
        assertAPIError(400) { try s.list(self.cm, namespace: nil, options: ListOptions(labelSelector: "a in (b")) }
        let e = assertAPIError(400) { try s.list(self.cm, namespace: nil, options: ListOptions(fieldSelector: "spec.foo=1")) }
        XCTAssertEqual(e?.message, "field label not supported: spec.foo")
        XCTAssertNoThrow(try s.list(Fixtures.pods, namespace: nil, options: ListOptions(fieldSelector: "status.phase=Running,spec.nodeName=n1")))
    }

    func testPagingWithContinueTokens() throws {
        let s = Fixtures.store()
        try seed(s)
        let first = try s.list(cm, namespace: "default", options: ListOptions(limit: 2))
        XCTAssertEqual(first.items.map(\.name), ["cm0", "cm1"])
        XCTAssertEqual(first.remainingItemCount, 3)
        let token = try XCTUnwrap(first.continueToken)
        // Writes between pages do not change the list's resourceVersion.
        _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("zz"))
        let second = try s.list(cm, namespace: "default", options: ListOptions(limit: 2, continueToken: token))
        XCTAssertEqual(second.items.map(\.name), ["cm2", "cm3"])
        XCTAssertEqual(second.resourceVersion, first.resourceVersion)
        let third = try s.list(cm, namespace: "default", options: ListOptions(limit: 2, continueToken: try XCTUnwrap(second.continueToken)))
        XCTAssertEqual(third.items.map(\.name), ["cm4", "zz"])
        XCTAssertNil(third.continueToken)
        XCTAssertNil(third.remainingItemCount)
    }

    func testContinueTokenFormatAndRemainingCountOnlyWithoutSelectors() throws {
        let s = Fixtures.store()
        try seed(s)
        let page = try s.list(cm, namespace: nil, options: ListOptions(labelSelector: "app", limit: 1))
        XCTAssertNil(page.remainingItemCount)
        var b64 = try XCTUnwrap(page.continueToken).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        let decoded = try JSON.parse(try XCTUnwrap(Data(base64Encoded: b64)))
        XCTAssertEqual(decoded["v"], "meta.k8s.io/v1")
        XCTAssertEqual(decoded["start"], "b-ns/other\u{0}")
        XCTAssertEqual(decoded["rv"].intValue, Int64(page.resourceVersion))
    }

    func testExpiredAndMalformedContinueTokens() throws {
        let s = Fixtures.store(historySize: 3)
        try seed(s)
        let token = try XCTUnwrap(try s.list(cm, namespace: nil, options: ListOptions(limit: 1)).continueToken)
        for i in 0..<5 { _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("more\(i)")) }
        let e = assertAPIError(410, "Expired") { try s.list(self.cm, namespace: nil, options: ListOptions(limit: 1, continueToken: token)) }
        XCTAssertTrue(e?.message.hasPrefix("The provided continue parameter is too old") ?? false)
        assertAPIError(400) { try s.list(self.cm, namespace: nil, options: ListOptions(continueToken: "!!!")) }
    }

    func testListOptionsFromQuery() throws {
        let o = try ListOptions(query: ["labelSelector": "a=b", "limit": "10", "continue": "tok"])
        XCTAssertEqual(o.limit, 10)
        XCTAssertEqual(o.continueToken, "tok")
        assertAPIError(400) { try ListOptions(query: ["limit": "ten"]) }
        assertAPIError(400) { try ListOptions(query: ["continue": "tok", "resourceVersion": "5"]) }
    }
}
