import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class StrategicMergePatchTests: XCTestCase {
    private let schema = MergeSchema(resource: BuiltinResources.core[1])

    private let pod: JSON = [
        "metadata": ["name": "p", "labels": ["a": "1", "b": "2"], "finalizers": ["x", "y"]],
        "spec": [
            "containers": [
                ["name": "app", "image": "app:1", "env": [["name": "A", "value": "1"], ["name": "B", "value": "2"]],
                 "ports": [["containerPort": 80, "protocol": "TCP"]]],
                ["name": "side", "image": "side:1"],
            ],
            "tolerations": [["key": "k1", "operator": "Exists"]],
            "volumes": [["name": "v1", "emptyDir": [:]]],
        ],
        "status": ["conditions": [["type": "Ready", "status": "False"], ["type": "Scheduled", "status": "True"]]],
    ]

    private func apply(_ patch: JSON) throws -> JSON { try StrategicMergePatch.apply(patch, to: pod, schema: schema) }

    func testKeyedListsMergeByKey() throws {
        let r = try apply(["spec": ["containers": [
            ["name": "app", "env": [["name": "B", "value": "20"], ["name": "C", "value": "3"]]],
            ["name": "new", "image": "new:1"],
        ]]])
        let containers = r["spec"]["containers"].arrayValue!
        XCTAssertEqual(containers.map { $0["name"] }, ["app", "side", "new"])
        XCTAssertEqual(containers[0]["image"], "app:1")
        XCTAssertEqual(containers[0]["env"], [["name": "A", "value": "1"], ["name": "B", "value": "20"], ["name": "C", "value": "3"]])
    }

    func testConditionsByTypeAndPortsByContainerPort() throws {
        let r = try apply([
            "status": ["conditions": [["type": "Ready", "status": "True"]]],
            "spec": ["containers": [["name": "app", "ports": [["containerPort": 80, "name": "http"], ["containerPort": 443]]]]],
        ])
        XCTAssertEqual(r["status"]["conditions"], [["type": "Ready", "status": "True"], ["type": "Scheduled", "status": "True"]])
        XCTAssertEqual(r["spec"]["containers"][0]["ports"], [["containerPort": 80, "protocol": "TCP", "name": "http"], ["containerPort": 443]])
    }

    func testListsWithoutStrategyAreReplaced() throws {
        let r = try apply(["spec": ["tolerations": [["key": "k2", "operator": "Exists"]]]])
        XCTAssertEqual(r["spec"]["tolerations"], [["key": "k2", "operator": "Exists"]])
    }

    func testFinalizersMergeAsASetAndDeleteFromPrimitiveList() throws {
        let r = try apply(["metadata": ["finalizers": ["y", "z"], "$deleteFromPrimitiveList/finalizers": ["x"]]])
        XCTAssertEqual(r.metadata["finalizers"], ["y", "z"])
    }

    func testPatchDirectives() throws {
        let deleted = try apply(["spec": ["containers": [["name": "side", "$patch": "delete"]]]])
        XCTAssertEqual(deleted["spec"]["containers"].arrayValue?.map { $0["name"] }, ["app"])

        let replacedList = try apply(["spec": ["volumes": [["$patch": "replace"], ["name": "v2", "secret": ["secretName": "s"]]]]])
        XCTAssertEqual(replacedList["spec"]["volumes"], [["name": "v2", "secret": ["secretName": "s"]]])

        let replacedMap = try apply(["metadata": ["labels": ["$patch": "replace", "c": "3"]]])
        XCTAssertEqual(replacedMap.metadata["labels"], ["c": "3"])

        let deletedMap = try apply(["status": ["$patch": "delete"]])
        XCTAssertTrue(deletedMap["status"].isNull)

        let retained = try apply(["metadata": ["labels": ["$retainKeys": ["a"], "a": "10"]]])
        XCTAssertEqual(retained.metadata["labels"], ["a": "10"])

        let ordered = try apply(["spec": ["$setElementOrder/containers": [["name": "side"], ["name": "app"]],
                                          "containers": [["name": "side", "image": "side:2"]]]])
        XCTAssertEqual(ordered["spec"]["containers"][1]["image"], "side:2")
        XCTAssertNil(ordered["spec"].objectValue?.keys.first { $0.hasPrefix("$") })
    }

    func testNullDeletesAndNewValuesAreCleaned() throws {
        let r = try apply(["metadata": ["labels": ["a": nil]], "spec": ["newList": [["$patch": "delete"], ["x": 1]],
                                                                            "newMap": ["$patch": "merge", "k": "v"]]])
        XCTAssertEqual(r.metadata["labels"], ["b": "2"])
        XCTAssertEqual(r["spec"]["newList"], [["x": 1]])
        XCTAssertEqual(r["spec"]["newMap"], ["k": "v"])
    }

    func testErrors() {
        XCTAssertThrowsError(try apply("not an object"))
        XCTAssertThrowsError(try apply(["spec": ["containers": [["image": "no-name"]]]])) { e in
            XCTAssertEqual((e as? APIError)?.code, 400)
        }
        XCTAssertThrowsError(try apply(["metadata": ["$patch": "explode"]]))
    }

    func testServicePortsMergeByPort() throws {
        let svc: JSON = ["spec": ["ports": [["port": 80, "name": "http"], ["port": 443, "name": "https"]]]]
        let r = try StrategicMergePatch.apply(["spec": ["ports": [["port": 443, "targetPort": 8443]]]], to: svc,
                                              schema: MergeSchema(resource: BuiltinResources.core[4]))
        XCTAssertEqual(r["spec"]["ports"], [["port": 80, "name": "http"], ["port": 443, "name": "https", "targetPort": 8443]])
    }
}
