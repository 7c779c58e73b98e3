import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class TableTests: XCTestCase {
    func testCustomResourceTableWithPrinterColumns() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        _ = try s.create(ags, namespace: "default", object: Fixtures.session("x"))
        _ = try s.patch(ags, namespace: "default", name: "x", type: .merge,
                        body: ["status": ["phase": "Ready", "conditions": [["type": "Ready", "status": "True"]]]], subresource: "status")
        let list = try s.list(ags, namespace: "default")
        let table = TableRenderer(resource: ags, now: Fixtures.epoch.addingTimeInterval(3 * 3600 + 120)).table(list: list)
        XCTAssertEqual(table["kind"], "Table")
        XCTAssertEqual(table["apiVersion"], "meta.k8s.io/v1")
        XCTAssertEqual(table["metadata"]["resourceVersion"], .string(list.resourceVersion))
        let columns = table["columnDefinitions"].arrayValue ?? []
        XCTAssertEqual(columns.map { $0["name"] }, ["Name", "Type", "Phase", "Ready", "Age"])
        XCTAssertEqual(columns[0]["format"], "name")
        XCTAssertEqual(columns[1]["description"], "Custom resource definition column (in JSONPath format): .spec.agentType")
        XCTAssertEqual(columns[4]["type"], "date")
        let row = table["rows"][0]
        XCTAssertEqual(row["cells"], ["x", "codex", "Ready", "True", "3h2m"])
        XCTAssertEqual(row["object"]["kind"], "PartialObjectMetadata")
        XCTAssertEqual(row["object"]["apiVersion"], "meta.k8s.io/v1")
        XCTAssertEqual(row["object"]["metadata"]["name"], "x")
    }

    func testMissingValuesAreNullCellsAndDefaultAgeColumn() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        let obj = try s.create(ags, namespace: "default", object: Fixtures.session("x")).object
        let table = TableRenderer(resource: ags, now: Fixtures.epoch).table(object: obj, includeObject: .none)
        XCTAssertEqual(table["rows"][0]["cells"], ["x", "codex", nil, nil, "0s"])
        XCTAssertNil(table["rows"][0].objectValue?["object"])

        var plain = Fixtures.agentSessionCRD
        var versions = plain["spec"]["versions"].arrayValue!
        versions[0]["additionalPrinterColumns"] = nil
        plain["spec"]["versions"] = .array(versions)
        let infos = CRDRules.resources(plain)
        XCTAssertEqual(infos[0].printerColumns.map(\.name), ["Age"])
    }

    func testIncludeObjectAndNoHeaders() throws {
        let s = Fixtures.store()
        let cm = try s.create(Fixtures.configmaps, namespace: "default", object: Fixtures.configMap("a", data: ["k": "v"])).object
        let r = TableRenderer(resource: Fixtures.configmaps, now: Fixtures.epoch)
        let full = r.table(object: cm, includeObject: .object, noHeaders: true)
        XCTAssertNil(full.objectValue?["columnDefinitions"])
        XCTAssertEqual(full["rows"][0]["object"], cm)
        XCTAssertEqual(full["rows"][0]["cells"], ["a", 1, "0s"])
    }

    func testCellTypes() {
        let r = TableRenderer(resource: Fixtures.configmaps, now: Fixtures.epoch)
        XCTAssertEqual(r.cell(3, type: "integer"), 3)
        XCTAssertEqual(r.cell(3.0, type: "integer"), 3)
        XCTAssertEqual(r.cell(3, type: "number"), 3.0)
        XCTAssertEqual(r.cell(true, type: "boolean"), true)
        XCTAssertEqual(r.cell("x", type: "boolean"), nil)
        XCTAssertEqual(r.cell(["a": 1], type: "string"), "{\"a\":1}")
        XCTAssertEqual(r.cell(5, type: "string"), "5")
        XCTAssertEqual(r.cell("not a date", type: "date"), "<invalid>")
        XCTAssertEqual(r.cell("2023-11-12T22:13:20Z", type: "date"), "2d")
    }

    func testPagedListTableCarriesContinue() throws {
        let s = Fixtures.store()
        for i in 0..<3 { _ = try s.create(Fixtures.configmaps, namespace: "default", object: Fixtures.configMap("c\(i)")) }
        let page = try s.list(Fixtures.configmaps, namespace: "default", options: ListOptions(limit: 2))
        let t = TableRenderer(resource: Fixtures.configmaps).table(list: page)
        XCTAssertEqual(t["metadata"]["continue"], .string(page.continueToken!))
        XCTAssertEqual(t["metadata"]["remainingItemCount"], 1)
        XCTAssertEqual(t["rows"].arrayValue?.count, 2)
        XCTAssertEqual(t["rows"][0]["object"]["metadata"]["name"], "c0")
    }
}
