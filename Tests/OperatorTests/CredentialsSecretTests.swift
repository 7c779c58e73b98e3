import Foundation
import KubeClient
import XCTest

@testable import Operator

final class CredentialsSecretTests: XCTestCase {
    func testTokenIs32RandomBytesHex() {
        let a = CredentialsSecret.newToken()
        let b = CredentialsSecret.newToken()
        XCTAssertEqual(a.count, 64)
        XCTAssertTrue(a.allSatisfy { $0.isHexDigit })
        XCTAssertNotEqual(a, b)
    }

    func testSecretShape() {
        let s = makeSession { $0.mcp = .init(keySecretRef: .init(name: "raven-key", key: "api-key")) }
        let secret = CredentialsSecret.build(session: s, effective: effective(s), mcpAPIKey: Data("k".utf8), token: "t")
        XCTAssertEqual(secret.metadata.name, "fix-login-bug-credentials")
        XCTAssertEqual(secret.data?["mcp-api-key"], Data("k".utf8))
        XCTAssertEqual(secret.data?["supervisor-token"], Data("t".utf8))
        XCTAssertEqual(secret.metadata.annotations?["parallax.ai/mcp-key-source"], "raven-key/api-key")
        XCTAssertEqual(secret.metadata.labels?["app.kubernetes.io/managed-by"], "agent-operator")
        XCTAssertTrue(SessionLabels.isControlled(secret, by: s))
        XCTAssertNil(CredentialsSecret.token(in: secret), "a short token is not usable")
        var good = secret
        good.data?["supervisor-token"] = Data(CredentialsSecret.newToken().utf8)
        XCTAssertNotNil(CredentialsSecret.token(in: good))
    }
}
