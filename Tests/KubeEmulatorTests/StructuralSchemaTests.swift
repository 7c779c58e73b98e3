import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class StructuralSchemaTests: XCTestCase {
    private func causes(_ e: APIError?) -> [String] {
        (e?.causes ?? []).map { "\($0.field): \($0.message) [\($0.reason)]" }
    }

    func testRequiredAndEnumErrorsInTheApiserversWords() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        var missing = Fixtures.session("x")
        missing["spec"] = [:]
        let e1 = assertAPIError(422, "Invalid") { try s.create(ags, namespace: "default", object: missing) }
        XCTAssertEqual(causes(e1), ["spec.agentType: Required value [FieldValueRequired]"])
        XCTAssertEqual(e1?.message, "AgentSession.parallax.ai \"x\" is invalid: spec.agentType: Required value")
        XCTAssertEqual(e1?.status["details"]["kind"], "AgentSession")
        XCTAssertEqual(e1?.status["details"]["group"], "parallax.ai")

        let e2 = assertAPIError(422) { try s.create(ags, namespace: "default", object: Fixtures.session("x", agentType: "foo")) }
        XCTAssertEqual(causes(e2), ["spec.agentType: Unsupported value: \"foo\": supported values: \"claude\", \"codex\", \"gemini\", \"aider\", \"custom\" [FieldValueNotSupported]"])
    }

    func testTypeErrors() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        let e = assertAPIError(422) {
            try s.create(ags, namespace: "default", object: Fixtures.session("x", extra: [
                "suspend": "yes", "capabilities": "code", "registry": ["ttlSeconds": 1.5], "port": true,
            ]))
        }
        XCTAssertEqual(causes(e), [
            "spec.capabilities: Invalid value: \"string\": spec.capabilities in body must be of type array: \"string\" [FieldValueTypeInvalid]",
            "spec.port: Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\" [FieldValueTypeInvalid]",
            "spec.registry.ttlSeconds: Invalid value: \"number\": spec.registry.ttlSeconds in body must be of type integer: \"number\" [FieldValueTypeInvalid]",
            "spec.suspend: Invalid value: \"string\": spec.suspend in body must be of type boolean: \"string\" [FieldValueTypeInvalid]",
        ])
    }

    func testBoundsLengthAndPattern() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        let e = assertAPIError(422) {
            try s.create(ags, namespace: "default", object: Fixtures.session("x", extra: [
                "registry": ["ttlSeconds": 1], "displayName": "This-Is-Way-Too-Long-For-It",
            ]))
        }
        XCTAssertEqual(causes(e), [
            "spec.displayName: Too long: may not be longer than 20 [FieldValueTooLong]",
            "spec.displayName: Invalid value: \"This-Is-Way-Too-Long-For-It\": spec.displayName in body should match '^[a-z][a-z0-9-]*$' [FieldValueInvalid]",
            "spec.registry.ttlSeconds: Invalid value: 1: spec.registry.ttlSeconds in body should be greater than or equal to 5 [FieldValueInvalid]",
        ])
    }

    func testDefaultingIsRecursive() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        let created = try s.create(ags, namespace: "default", object: Fixtures.session("x")).object
        XCTAssertEqual(created["spec"]["workdir"], "/workspace")
        XCTAssertEqual(created["spec"]["suspend"], false)
        XCTAssertEqual(created["spec"]["restartPolicy"], "OnFailure")
        XCTAssertEqual(created["spec"]["registry"], ["enabled": true, "ttlSeconds": 30])
        let explicit = try s.create(ags, namespace: "default", object: Fixtures.session("y", extra: ["registry": ["enabled": false]])).object
        XCTAssertEqual(explicit["spec"]["registry"], ["enabled": false, "ttlSeconds": 30])
    }

    func testPruningKeepsPreservedAndAdditionalProperties() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        var body = Fixtures.session("x", extra: [
            "unknown": 1, "resources": ["limits": ["cpu": "1"]], "nodeSelector": ["disk": "ssd"],
            "env": [["name": "A", "value": "1", "junk": true]],
        ])
        body["topLevelJunk"] = "x"
        let r = try s.create(ags, namespace: "default", object: body, options: WriteOptions(fieldValidation: .warn))
        XCTAssertEqual(r.warnings, ["unknown field \"spec.env[0].junk\"", "unknown field \"spec.unknown\"", "unknown field \"topLevelJunk\""])
        XCTAssertTrue(r.object["spec"]["unknown"].isNull)
        XCTAssertTrue(r.object["topLevelJunk"].isNull)
        XCTAssertEqual(r.object["spec"]["resources"], ["limits": ["cpu": "1"]])
        XCTAssertEqual(r.object["spec"]["nodeSelector"], ["disk": "ssd"])
        XCTAssertEqual(r.object["spec"]["env"], [["name": "A", "value": "1"]])
    }

    func testListMapDuplicatesAndNullHandling() {
        let schema = StructuralSchema(json: [
            "type": "object",
            "properties": [
                "items": ["type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                          "items": ["type": "object", "properties": ["name": ["type": "string"]]]],
                "maybe": ["type": "string", "nullable": true],
                "never": ["type": "string"],
            ],
        ])
        let errs = schema.validate(["items": [["name": "a"], ["name": "a"]], "maybe": nil, "never": nil])
        XCTAssertEqual(errs.map(\.description), [
            "items[1]: Duplicate value: {\"name\":\"a\"}",
            "never: Invalid value: \"null\": never in body must be of type string: \"null\"",
        ])
        var obj: JSON = ["never": nil, "maybe": nil]
        _ = schema.prune(&obj)
        XCTAssertEqual(obj, ["maybe": nil])
    }

    func testMetadataIsNotValidatedOrPrunedByTheSchema() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        var body = Fixtures.session("x")
        body.metadata["labels"] = ["a": "b"]
        body.metadata["annotations"] = ["note": "kept"]
        let created = try s.create(ags, namespace: "default", object: body).object
        XCTAssertEqual(created.metadata["labels"], ["a": "b"])
        XCTAssertEqual(created.metadata["annotations"], ["note": "kept"])
    }

    func testCustomResourceNamesAreValidated() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        let e = assertAPIError(422) { try s.create(ags, namespace: "default", object: Fixtures.session("Bad_Name")) }
        XCTAssertEqual(e?.causes.first?.field, "metadata.name")
    }

    func testWrongKindOrVersionForTheURL() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        var wrongVersion = Fixtures.session("x")
        wrongVersion["apiVersion"] = "parallax.ai/v9"
        let e = assertAPIError(400) { try s.create(ags, namespace: "default", object: wrongVersion) }
        XCTAssertEqual(e?.message, "the API version in the data (parallax.ai/v9) does not match the expected API version (parallax.ai/v1alpha1)")
        var wrongKind = Fixtures.session("x")
        wrongKind["kind"] = "Pod"
        assertAPIError(400) { try s.create(ags, namespace: "default", object: wrongKind) }
    }
}
