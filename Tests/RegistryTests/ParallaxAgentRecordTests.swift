import Foundation
import RuntimeCore
import XCTest

@testable import Registry

/// The value must be exactly what Parallax reads: names, nesting and JSON types (contract §5).
final class ParallaxAgentRecordTests: XCTestCase {
    static let contractExample = """
        {"id": "team-a.fix-login-bug", "name": "fix-login-bug", "type": "agent",
         "endpoint": "http://10.1.2.3:8077",
         "metadata": {"capabilities": ["code", "review"], "agentType": "codex", "workspaceId": "ws-42",
                      "namespace": "team-a", "session": "fix-login-bug", "pod": "fix-login-bug",
                      "protocol": "pty-supervisor", "state": "running", "version": "0.1.0"},
         "health": {"status": "healthy", "lastCheck": "2026-11-21T10:00:00.000Z", "checkInterval": 10000},
         "registeredAt": "2026-11-21T09:58:12.345Z", "ttl": 30}
        """

    func testContractExampleRoundTripsExactly() throws {
        let record = try ParallaxAgentRecord.decode(Data(Self.contractExample.utf8))
        XCTAssertEqual(record.health.status, .healthy)
        XCTAssertEqual(record.metadata.protocol, "pty-supervisor")
        XCTAssertEqual(try JSON.parse(record.encoded()), try JSON.parse(Self.contractExample))
    }

    func testDescriptorProducesTheContractShape() throws {
        let d = testDescriptor("team-a.fix-login-bug", ttl: 30)
        let registeredAt = Timestamp.parse("2026-11-21T09:58:12.345Z")!
        let lastCheck = Timestamp.parse("2026-11-21T10:00:00.000Z")!
        let record = d.record(health: .healthy, lastCheck: lastCheck, registeredAt: registeredAt, ttl: 30)
        XCTAssertEqual(try JSON.parse(record.encoded()), try JSON.parse(Self.contractExample))
        let text = String(decoding: record.encoded(), as: UTF8.self)
        XCTAssertTrue(text.contains("\"endpoint\":\"http://10.1.2.3:8077\""), "slashes are not escaped: \(text)")
    }

    func testWrongTypesOrMissingFieldsDoNotDecode() {
        let wrongTTL = Self.contractExample.replacingOccurrences(of: "\"ttl\": 30", with: "\"ttl\": \"30\"")
        XCTAssertThrowsError(try ParallaxAgentRecord.decode(Data(wrongTTL.utf8)))
        let noHealth = #"{"id":"a","name":"a","type":"agent","endpoint":"http://x","registeredAt":"x","ttl":1}"#
        XCTAssertThrowsError(try ParallaxAgentRecord.decode(Data(noHealth.utf8)))
    }

    /// Checks a value read from etcd against Parallax's schema: exact key sets and JSON types.
    static func assertParallaxShape(_ data: Data, file: StaticString = #filePath, line: UInt = #line) throws {
        let json = try JSON.parse(data)
        let iso = try NSRegularExpression(pattern: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#)
        func isISO(_ v: JSON) -> Bool {
            guard let s = v.stringValue else { return false }
            return iso.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
        }
        XCTAssertEqual(Set(json.objectValue?.keys ?? [:].keys),
                       ["id", "name", "type", "endpoint", "metadata", "health", "registeredAt", "ttl"], file: file, line: line)
        XCTAssertEqual(Set(json["metadata"].objectValue?.keys ?? [:].keys),
                       ["capabilities", "agentType", "workspaceId", "namespace", "session", "pod", "protocol", "state",
                        "version"], file: file, line: line)
        XCTAssertEqual(Set(json["health"].objectValue?.keys ?? [:].keys), ["status", "lastCheck", "checkInterval"],
                       file: file, line: line)
        for k in ["id", "name", "endpoint"] { XCTAssertNotNil(json[k].stringValue, k, file: file, line: line) }
        XCTAssertEqual(json["type"], "agent", file: file, line: line)
        XCTAssertEqual(json["ttl"].typeName, "integer", file: file, line: line)
        XCTAssertTrue(isISO(json["registeredAt"]), "registeredAt \(json["registeredAt"])", file: file, line: line)
        XCTAssertTrue(isISO(json["health"]["lastCheck"]), "lastCheck", file: file, line: line)
        XCTAssertEqual(json["health"]["checkInterval"].typeName, "integer", file: file, line: line)
        XCTAssertTrue(["healthy", "unhealthy", "unknown"].contains(json["health"]["status"].stringValue ?? ""),
                      file: file, line: line)
        XCTAssertTrue(json["metadata"]["capabilities"].arrayValue?.allSatisfy { $0.stringValue != nil } ?? false,
                      file: file, line: line)
        for k in ["agentType", "workspaceId", "namespace", "session", "pod", "protocol", "state", "version"] {
            XCTAssertNotNil(json["metadata"][k].stringValue, k, file: file, line: line)
        }
        XCTAssertEqual(json["metadata"]["protocol"], "pty-supervisor", file: file, line: line)
        XCTAssertEqual(json["metadata"]["version"], .string(agentRuntimeVersion), file: file, line: line)
    }

    func testShapeCheckerAcceptsTheContractExample() throws {
        try Self.assertParallaxShape(Data(Self.contractExample.utf8))
    }
}
