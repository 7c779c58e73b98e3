import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

final class AuthenticationTests: XCTestCase {
    func testStaticCredentials() async throws {
        let none = try await CredentialProvider(.none).authorization()
        XCTAssertTrue(none.headers.isEmpty)
        let token = try await CredentialProvider(.bearerToken("abc")).authorization()
        XCTAssertEqual(token.headers.first?.1, "Bearer abc")
        let basic = try await CredentialProvider(.basic(username: "admin", password: "p@ss")).authorization()
        XCTAssertEqual(basic.headers.first?.1, "Basic " + Data("admin:p@ss".utf8).base64EncodedString())
        XCTAssertFalse(CredentialProvider(.bearerToken("abc")).canRefresh)
        XCTAssertTrue(CredentialProvider(.tokenFile("/x")).canRefresh)
    }

    func testTokenFileRereadAfterInvalidate() async throws {
        let dir = try temporaryDirectory(self)
        try write("one\n", to: dir + "/t")
        let p = CredentialProvider(.tokenFile(dir + "/t"))
        let a = try await p.authorization()
        XCTAssertEqual(a.headers.first?.1, "Bearer one")
        try write("two", to: dir + "/t")
        let cached = try await p.authorization()
        XCTAssertEqual(cached.headers.first?.1, "Bearer one")
        await p.invalidate(generation: a.generation)
        let b = try await p.authorization()
        XCTAssertEqual(b.headers.first?.1, "Bearer two")
        // A stale generation (a 401 on the old token arriving late) does not force another read.
        try write("three", to: dir + "/t")
        await p.invalidate(generation: a.generation)
        let c = try await p.authorization()
        XCTAssertEqual(c.headers.first?.1, "Bearer two")
    }

    func testTokenFileErrors() async throws {
        let dir = try temporaryDirectory(self)
        do {
            _ = try await CredentialProvider(.tokenFile(dir + "/missing")).authorization()
            XCTFail("expected an error")
        } catch {
            XCTAssertTrue(error.description.hasPrefix("kube credentials: cannot read token file \(dir)/missing"), error.description)
        }
        try write("  \n", to: dir + "/empty")
        do {
            _ = try await CredentialProvider(.tokenFile(dir + "/empty")).authorization()
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.description, "kube credentials: token file \(dir)/empty is empty")
        }
        // A token that disappears during rotation keeps the last good value.
        try write("good", to: dir + "/rot")
        let p = CredentialProvider(.tokenFile(dir + "/rot"), tokenFileReloadInterval: .zero)
        _ = try await p.authorization()
        try FileManager.default.removeItem(atPath: dir + "/rot")
        let again = try await p.authorization()
        XCTAssertEqual(again.headers.first?.1, "Bearer good")
    }

    func testPluginErrorsPropagateAndAreNotCached() async throws {
        let calls = Locked(0)
        let p = CredentialProvider(.exec(ExecConfig(command: "x")), runPlugin: { _ throws(KubeError) in
            let n = calls.withLock { c -> Int in
                c += 1
                return c
            }
            if n == 1 { throw KubeError.credentials("first run fails") }
            return ExecCredentialStatus(token: "ok")
        })
        do {
            _ = try await p.authorization()
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.description, "kube credentials: first run fails")
        }
        let m = try await p.authorization()
        XCTAssertEqual(m.headers.first?.1, "Bearer ok")
        XCTAssertEqual(calls.current, 2)
    }
}
