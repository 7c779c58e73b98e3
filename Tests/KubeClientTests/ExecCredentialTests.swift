import CurlHTTP
import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

final class ExecCredentialTests: XCTestCase {
    /// A plugin that counts its runs in `runs` and answers with token `token-<n>`.
    func makePlugin(_ dir: String, apiVersion: String = "client.authentication.k8s.io/v1",
                    expiration: String = "2030-01-01T00:00:00Z", delay: String = "0") throws -> ExecConfig {
        let script = """
            #!/bin/sh
            echo run >> "\(dir)/runs"
            n=$(wc -l < "\(dir)/runs" | tr -d ' ')
            printf '%s' "$KUBERNETES_EXEC_INFO" > "\(dir)/info"
            printf '%s' "$FOO" > "\(dir)/foo"
            sleep \(delay)
            cat <<EOF
            {"apiVersion": "\(apiVersion)", "kind": "ExecCredential",
             "status": {"token": "token-$n", "expirationTimestamp": "\(expiration)"}}
            EOF
            """
        try write(script, to: dir + "/plugin.sh", executable: true)
        return ExecConfig(command: dir + "/plugin.sh", args: ["--flag"], env: [.init(name: "FOO", value: "bar")],
                          apiVersion: "client.authentication.k8s.io/v1", provideClusterInfo: true,
                          cluster: ["server": "https://c.example"])
    }

    func runs(_ dir: String) -> Int {
        ((try? String(contentsOfFile: dir + "/runs", encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    func testRunsPluginAndCachesUntilExpiry() async throws {
        let dir = try temporaryDirectory(self)
        let config = try makePlugin(dir)
        let clock = Locked(RFC3339.parse("2029-12-31T23:00:00Z")!)
        let provider = CredentialProvider(.exec(config), now: { clock.current })

        let first = try await provider.authorization()
        XCTAssertEqual(first.headers.first?.0, "Authorization")
        XCTAssertEqual(first.headers.first?.1, "Bearer token-1")
        let second = try await provider.authorization()
        XCTAssertEqual(second.headers.first?.1, "Bearer token-1")
        XCTAssertEqual(runs(dir), 1, "the credential is cached until it expires")

        clock.withLock { $0 = RFC3339.parse("2030-01-01T00:00:01Z")! }
        let third = try await provider.authorization()
        XCTAssertEqual(third.headers.first?.1, "Bearer token-2")
        XCTAssertEqual(runs(dir), 2, "an expired credential runs the plugin again")
        let pluginRuns = await provider.pluginRuns
        XCTAssertEqual(pluginRuns, 2)

        // The plugin saw its environment and the cluster info.
        XCTAssertEqual(try String(contentsOfFile: dir + "/foo", encoding: .utf8), "bar")
        let info = try JSON.parse(String(contentsOfFile: dir + "/info", encoding: .utf8))
        XCTAssertEqual(info["kind"], "ExecCredential")
        XCTAssertEqual(info["apiVersion"], "client.authentication.k8s.io/v1")
        XCTAssertEqual(info["spec"]["interactive"], false)
        XCTAssertEqual(info["spec"]["cluster"]["server"], "https://c.example")
    }

    func testConcurrentRequestsShareOneRun() async throws {
        let dir = try temporaryDirectory(self)
        let provider = CredentialProvider(.exec(try makePlugin(dir, delay: "0.3")))
        try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<5 { group.addTask { try await provider.authorization().headers.first?.1 } }
            for try await token in group { XCTAssertEqual(token, "Bearer token-1") }
        }
        XCTAssertEqual(runs(dir), 1)
    }

    func testUnauthorizedRerunsPluginOnceAndRetries() async throws {
        let dir = try temporaryDirectory(self)
        let config = try makePlugin(dir)
        let transport = FakeTransport { req, _ in
            if req.header("Authorization") == "Bearer token-1" {
                return .success(jsonResponse(401, statusJSON(401, "Unauthorized", "Unauthorized")))
            }
            return .success(jsonResponse(200, ["kind": "Pod", "apiVersion": "v1", "metadata": ["name": "p"]]))
        }
        let client = KubeClient(config: testConfig(credentials: .exec(config)), transport: transport)
        let pod = try await client.get(Pod.self, name: "p")
        XCTAssertEqual(pod.metadata.name, "p")
        XCTAssertEqual(runs(dir), 2)
        XCTAssertEqual(transport.requests.map { $0.header("Authorization") }, ["Bearer token-1", "Bearer token-2"])

        // A second 401 with the fresh credential is returned to the caller, not retried forever.
        let always401 = FakeTransport { _, _ in .success(jsonResponse(401, statusJSON(401, "Unauthorized", "Unauthorized"))) }
        let client2 = KubeClient(config: testConfig(credentials: .exec(config)), transport: always401)
        do {
            _ = try await client2.get(Pod.self, name: "p")
            XCTFail("expected 401")
        } catch {
            XCTAssertTrue(error.isUnauthorized)
            XCTAssertEqual(always401.requests.count, 2)
        }
    }

    func testPluginFailureIsReported() async throws {
        let dir = try temporaryDirectory(self)
        try write("#!/bin/sh\necho 'boom: no login' >&2\necho partial\nexit 3\n", to: dir + "/fail.sh", executable: true)
        do {
            _ = try await ExecCredentialRunner.run(ExecConfig(command: dir + "/fail.sh"))
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.description, "kube credentials: exec plugin fail.sh failed: exit status 3: boom: no login")
        }
    }

    func testMissingPluginShowsInstallHint() async {
        do {
            _ = try await ExecCredentialRunner.run(ExecConfig(command: "no-such-plugin-xyz", installHint: "Install it\nwith apt."))
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual(error.description,
                           "kube credentials: exec plugin no-such-plugin-xyz: executable \"no-such-plugin-xyz\" not found (Install it with apt.)")
        }
    }

    func testPluginTimesOut() async throws {
        let dir = try temporaryDirectory(self)
        try write("#!/bin/sh\nexec sleep 10\n", to: dir + "/slow.sh", executable: true)
        let start = ContinuousClock.now
        do {
            _ = try await ExecCredentialRunner.run(ExecConfig(command: dir + "/slow.sh", timeout: .milliseconds(300)))
            XCTFail("expected a timeout")
        } catch {
            XCTAssertEqual(error.description, "kube credentials: exec plugin slow.sh: timed out after 0.3 s")
        }
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(5))
    }

    func testParseValidatesOutput() throws {
        let v1 = ExecConfig(command: "p")
        func parse(_ s: String) throws -> ExecCredentialStatus { try ExecCredentialStatus.parse(Data(s.utf8), config: v1) }
        let ok = try parse(#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t"}}"#)
        XCTAssertEqual(ok.token, "t")
        XCTAssertNil(ok.expirationTimestamp)
        XCTAssertTrue(ok.isValid(at: Date()))
        let cert = try parse(#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientCertificateData":"C","clientKeyData":"K","expirationTimestamp":"2024-01-01T00:00:00Z"}}"#)
        XCTAssertEqual(cert.clientKeyData, "K")
        XCTAssertFalse(cert.isValid(at: RFC3339.parse("2024-01-01T00:00:00Z")!))
        XCTAssertTrue(cert.isValid(at: RFC3339.parse("2023-12-31T23:59:59Z")!))

        let bad: [(String, String)] = [
            ("not json", "kube credentials: exec plugin p: output is not a JSON object"),
            (#"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"t"}}"#,
             "kube credentials: exec plugin p: apiVersion \"client.authentication.k8s.io/v1beta1\" does not match the configured \"client.authentication.k8s.io/v1\""),
            (#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"Other"}"#,
             "kube credentials: exec plugin p: kind is \"Other\", want \"ExecCredential\""),
            (#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{}}"#,
             "kube credentials: exec plugin p: status has neither a token nor a client certificate"),
            (#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t","expirationTimestamp":"soon"}}"#,
             "kube credentials: exec plugin p: invalid status.expirationTimestamp \"soon\""),
        ]
        for (text, want) in bad {
            XCTAssertThrowsError(try parse(text)) { XCTAssertEqual("\($0)", want) }
        }
    }

    func testClientCertificateFromPluginOverridesTLS() async throws {
        let provider = CredentialProvider(.exec(ExecConfig(command: "unused")), runPlugin: { _ in
            ExecCredentialStatus(clientCertificateData: "CERT", clientKeyData: "KEY")
        })
        let transport = FakeTransport { _, _ in .success(jsonResponse(200, ["kind": "Status", "status": "Success"])) }
        var config = testConfig(credentials: .exec(ExecConfig(command: "unused")))
        config.tls = TLSConfiguration(caFile: "/ca", clientCertFile: "/cert", clientKeyFile: "/key")
        let client = KubeClient(config: config, transport: transport, credentialProvider: provider)
        _ = try await client.serverVersion()
        let tls = try XCTUnwrap(transport.requests.first?.tls)
        XCTAssertEqual(tls.caFile, "/ca")
        XCTAssertNil(tls.clientCertFile)
        XCTAssertEqual(tls.clientCertData, Data("CERT".utf8))
        XCTAssertEqual(tls.clientKeyData, Data("KEY".utf8))
        XCTAssertNil(transport.requests.first?.header("Authorization"))
    }
}
