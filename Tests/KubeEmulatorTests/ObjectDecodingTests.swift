import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class ObjectDecodingTests: XCTestCase {
    func testFillsMissingTypeMeta() throws {
        let o = try ObjectDecoding.decode(["metadata": ["name": "a"]], as: Fixtures.configmaps)
        XCTAssertEqual(o["kind"], "ConfigMap")
        XCTAssertEqual(o["apiVersion"], "v1")
    }

    func testMismatchesAreBadRequests() {
        let v = assertAPIError(400) { try ObjectDecoding.decode(["apiVersion": "apps/v1", "kind": "ConfigMap"], as: Fixtures.configmaps) }
        XCTAssertEqual(v?.message, "the API version in the data (apps/v1) does not match the expected API version (v1)")
        let k = assertAPIError(400) { try ObjectDecoding.decode(["apiVersion": "v1", "kind": "Secret"], as: Fixtures.configmaps) }
        XCTAssertEqual(k?.message, "the object provided is unrecognized (must be of type ConfigMap): kind Secret")
        assertAPIError(400) { try ObjectDecoding.decode(["kind": 5], as: Fixtures.configmaps) }
    }

    func testNonObjectsAndWrongTypesAreBadRequests() {
        for body: JSON in [[1, 2], "text", 3, nil, true] {
            assertAPIError(400) { try ObjectDecoding.decode(body, as: Fixtures.pods) }
        }
        let labels = assertAPIError(400) { try ObjectDecoding.decode(["metadata": ["labels": ["a": 1]]], as: Fixtures.pods) }
        XCTAssertEqual(labels?.message, "Pod in version \"v1\" cannot be handled as a Pod: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels.a of type string")
        assertAPIError(400) { try ObjectDecoding.decode(["metadata": "x"], as: Fixtures.pods) }
        assertAPIError(400) { try ObjectDecoding.decode(["metadata": ["name": 7]], as: Fixtures.pods) }
        assertAPIError(400) { try ObjectDecoding.decode(["spec": ["containers": "nginx"]], as: Fixtures.pods) }
        assertAPIError(400) { try ObjectDecoding.decode(["spec": ["containers": [["name": "a", "command": "sh"]]]], as: Fixtures.pods) }
        assertAPIError(400) { try ObjectDecoding.decode(["data": ["k": ["nested": true]]], as: Fixtures.configmaps) }
        assertAPIError(400) { try ObjectDecoding.decode(["spec": ["leaseDurationSeconds": "15"]], as: Fixtures.leases) }
        XCTAssertNoThrow(try ObjectDecoding.decode(["spec": ["leaseDurationSeconds": 15.0, "holderIdentity": nil]], as: Fixtures.leases))
    }

    func testMalformedObjectsThroughTheStoreNeverCrash() throws {
        let s = Fixtures.store()
        let bodies: [JSON] = [
            [:], ["metadata": [:]], ["metadata": ["name": ""]], ["metadata": ["name": "x", "finalizers": [1]]],
            ["metadata": ["name": "x", "ownerReferences": ["bad"]]], ["metadata": ["name": "x"], "spec": []],
            ["metadata": ["name": "x"], "spec": ["containers": []]], ["metadata": ["name": "x"], "spec": ["containers": [[:]]]],
            ["metadata": ["name": "x"], "spec": ["containers": [["name": "a", "image": "i"], ["name": "a", "image": "i"]]]],
            ["metadata": ["name": "x"], "status": "weird", "spec": ["containers": [["name": "a", "image": "i"]], "nodeName": ["x"]]],
        ]
        for b in bodies {
            do throws(APIError) {
                _ = try s.create(Fixtures.pods, namespace: "default", object: b)
                XCTFail("accepted \(b)")
            } catch {
                XCTAssertTrue([400, 422].contains(error.code), "\(b): \(error)")
            }
        }
    }

    /// Random documents thrown at every write path: always an APIError or success, never a crash.
    func testRandomBodiesNeverCrash() throws {
        var rng = SplitMix(seed: 42)
        let (s, ags) = try Fixtures.storeWithCRD()
        let resources = [Fixtures.pods, Fixtures.secrets, Fixtures.configmaps, Fixtures.services, Fixtures.leases,
                         Fixtures.namespaces, Fixtures.crds, ags]
        _ = try s.create(Fixtures.configmaps, namespace: "default", object: Fixtures.configMap("target"))
        for round in 0..<400 {
            let r = resources[round % resources.count]
            var body = randomJSON(&rng, depth: 0)
            if round % 3 == 0, body.objectValue != nil { body.metadata["name"] = .string("fuzz\(round)") }
            _ = try? s.create(r, namespace: r.namespaced ? "default" : nil, object: body)
            _ = try? s.update(Fixtures.configmaps, namespace: "default", name: "target", object: body)
            for type in [PatchType.merge, .jsonPatch, .strategicMerge, .apply(fieldManager: "fuzz", force: round % 2 == 0)] {
                _ = try? s.patch(Fixtures.configmaps, namespace: "default", name: "target", type: type, body: body)
                _ = try? s.patch(ags, namespace: "default", name: "fuzz\(round)", type: type, body: body)
            }
        }
        XCTAssertNoThrow(try s.list(Fixtures.configmaps, namespace: nil))
    }

    private struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    private func randomJSON(_ rng: inout SplitMix, depth: Int) -> JSON {
        let keys = ["apiVersion", "kind", "metadata", "name", "namespace", "labels", "spec", "status", "data", "containers",
                    "image", "finalizers", "ownerReferences", "op", "path", "value", "$patch", "agentType", "ports",
                    "port", "stringData", "uid", "resourceVersion", "generateName", "type"]
        let choice = depth > 3 ? Int.random(in: 0..<5, using: &rng) : Int.random(in: 0..<8, using: &rng)
        switch choice {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .int(Int64.random(in: -5...70000, using: &rng))
        case 3: return .double(Double.random(in: -1e20...1e20, using: &rng))
        case 4: return .string(["", "a", "v1", "Pod", "/spec", "add", "YWJj", "x y", "default", "!!"].randomElement(using: &rng)!)
        case 5: return .array((0..<Int.random(in: 0..<4, using: &rng)).map { _ in randomJSON(&rng, depth: depth + 1) })
        default:
            var o: [String: JSON] = [:]
            for _ in 0..<Int.random(in: 0..<5, using: &rng) { o[keys.randomElement(using: &rng)!] = randomJSON(&rng, depth: depth + 1) }
            return .object(o)
        }
    }
}
