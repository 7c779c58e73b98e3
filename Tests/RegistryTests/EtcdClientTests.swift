import AgentTestSupport
import CurlHTTP
import Foundation
import RuntimeCore
import XCTest

@testable import Registry

/// Transport behaviour: failover, unreachable clusters, timeouts, auth and TLS.
final class EtcdClientTests: XCTestCase {
    func testFailsOverFromADeadEndpointAndPrefersTheLiveOne() async throws {
        let live = try await SharedEtcd.instance.endpoint()
        let dead = "http://127.0.0.1:\(try freeLoopbackPort())"
        let client = try EtcdClient(configuration: EtcdConfiguration(endpoints: [dead, live]))
        defer { client.shutdown() }
        let key = uniquePrefix() + "/k"
        try await client.put(key, "v")
        XCTAssertEqual(client.currentEndpoint, live)
        XCTAssertEqual(client.statistics.failovers, 1)
        _ = try await client.get(key)
        XCTAssertEqual(client.statistics.failovers, 1, "the live endpoint is tried first afterwards")
    }

    func testUnreachableClusterGivesOneClearError() async throws {
        let a = "http://127.0.0.1:\(try freeLoopbackPort())", b = "http://127.0.0.1:\(try freeLoopbackPort())"
        let client = try EtcdClient(configuration: EtcdConfiguration(endpoints: [a, b]))
        defer { client.shutdown() }
        do {
            _ = try await client.get("/x")
            XCTFail("must fail")
        } catch {
            guard case .unavailable(let endpoints, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(endpoints, [a, b])
            XCTAssertTrue(error.isTransient)
            XCTAssertTrue(error.description.hasPrefix("etcd unavailable (\(a),\(b)): "), error.description)
            XCTAssertFalse(error.description.contains("\n"))
        }
    }

    func testPerRequestTimeout() async throws {
        // A server that accepts and never answers in time.
        let server = HTTPServer(configuration: .init(listen: "127.0.0.1:0", threads: 4)) { _, writer in
            Thread.sleep(forTimeInterval: 2)
            writer.send(.text("late"))
        }
        try server.start()
        defer { server.stop() }
        let client = try EtcdClient(configuration: EtcdConfiguration(endpoints: ["http://127.0.0.1:\(server.port)"],
                                                                     requestTimeout: .milliseconds(300)))
        defer { client.shutdown() }
        let started = ContinuousClock.now
        do {
            _ = try await client.get("/x")
            XCTFail("must time out")
        } catch {
            XCTAssertEqual(error, .timedOut(endpoint: "http://127.0.0.1:\(server.port)", path: "/v3/kv/range"))
        }
        XCTAssertLessThan(ContinuousClock.now - started, .milliseconds(1500))
    }

    func testConfigurationErrors() throws {
        XCTAssertThrowsError(try EtcdClient(configuration: EtcdConfiguration(endpoints: [])))
        XCTAssertEqual(try EtcdConfiguration.parseEndpoints("127.0.0.1:2379, https://e:2379/"),
                       ["http://127.0.0.1:2379", "https://e:2379"])
        XCTAssertThrowsError(try EtcdConfiguration.parseEndpoints(" , "))
        XCTAssertThrowsError(try EtcdConfiguration.parseEndpoints("ftp://x"))
    }

    func testUsernamePasswordAuthAndTokenRefreshWhenRejected() async throws {
        guard let etcdctl = EtcdProcess.etcdctl else { throw XCTSkip("etcdctl is not installed") }
        let etcd = try await startDedicatedEtcd()
        let env = ["ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"]
        for args in [["user", "add", "root:rootpw"], ["user", "grant-role", "root", "root"],
                     ["user", "add", "agent:agentpw"], ["role", "add", "registry"],
                     ["role", "grant-permission", "registry", "readwrite", "/parallax/", "--prefix=true"],
                     ["user", "grant-role", "agent", "registry"], ["auth", "enable"]] {
            let r = try await runToCompletion(etcdctl, ["--endpoints", etcd.endpoint] + args, environment: env)
            XCTAssertEqual(r.status, 0, "etcdctl \(args): \(r.stderr)")
        }

        let anonymous = try EtcdClient(endpoints: [etcd.endpoint])
        defer { anonymous.shutdown() }
        do {
            _ = try await anonymous.get("/parallax/x")
            XCTFail("auth is on")
        } catch {
            guard case .authenticationFailed = error else { return XCTFail("\(error)") }
        }

        let wrong = try EtcdClient(configuration: EtcdConfiguration(
            endpoints: [etcd.endpoint], credentials: EtcdCredentials(username: "agent", password: "nope")))
        defer { wrong.shutdown() }
        do {
            _ = try await wrong.get("/parallax/x")
            XCTFail("wrong password")
        } catch {
            guard case .authenticationFailed(let m) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(m.contains("invalid user ID or password"), m)
        }

        let passwordFile = etcd.directory + "/password"
        try "agentpw\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: passwordFile) }
        let credentials = try EtcdCredentials.load(username: "agent", passwordFile: passwordFile)
        XCTAssertEqual(credentials.password, "agentpw")
        let client = try EtcdClient(configuration: EtcdConfiguration(endpoints: [etcd.endpoint], credentials: credentials))
        defer { client.shutdown() }
        // Concurrent first calls share one authenticate round trip.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<8 { group.addTask { try await client.put("/parallax/auth-\(i)", "v") } }
            try await group.waitForAll()
        }
        XCTAssertEqual(client.statistics.tokenRefreshes, 1)
        do {
            try await client.put("/elsewhere", "v")
            XCTFail("outside the role's prefix")
        } catch {
            guard case .permissionDenied = error else { return XCTFail("\(error)") }
        }

        // Turning auth off and on drops every token etcd handed out.
        let token = try XCTUnwrap(client.currentToken)
        for args in [["auth", "disable"], ["auth", "enable"]] {
            let r = try await runToCompletion(etcdctl, ["--endpoints", etcd.endpoint, "--user", "root:rootpw"] + args,
                                              environment: env)
            XCTAssertEqual(r.status, 0, "etcdctl \(args): \(r.stderr)")
        }
        // ...then the next call is rejected once, fetches a new token and succeeds.
        let value = try await client.get("/parallax/auth-0")?.valueString
        XCTAssertEqual(value, "v")
        XCTAssertEqual(client.statistics.tokenRefreshes, 2)
        XCTAssertNotEqual(client.currentToken, token)

        // The self-healing watch works with auth too.
        let updates = client.watch(.prefix("/parallax/"))
        var sawSnapshot = false
        for await u in updates {
            if case .snapshot(let kvs, _) = u { sawSnapshot = kvs.count == 8 }
            break
        }
        XCTAssertTrue(sawSnapshot)
    }

    func testTLSWithClientCertificates() async throws {
        guard let openssl = BuiltBinaries.onPath("openssl") else { throw XCTSkip("openssl is not installed") }
        let dir = NSTemporaryDirectory() + "registry-tls-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        func run(_ args: [String]) async throws {
            let r = try await runToCompletion(openssl, args)
            XCTAssertEqual(r.status, 0, "openssl \(args): \(r.stderr)")
        }
        try await run(["req", "-x509"] + ec + ["-keyout", "\(dir)/ca.key", "-out", "\(dir)/ca.crt", "-days", "1",
                                               "-subj", "/CN=registry-test-ca"])
        // etcd's gateway dials etcd's own gRPC port with the server certificate, so it needs clientAuth too.
        for (name, usage) in [("server", "serverAuth,clientAuth"), ("client", "clientAuth")] {
            try "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=\(usage)\n".write(toFile: "\(dir)/\(name).ext", atomically: true,
                                                                                encoding: .utf8)
            try await run(["req"] + ec + ["-keyout", "\(dir)/\(name).key", "-out", "\(dir)/\(name).csr", "-subj", "/CN=\(name)"])
            try await run(["x509", "-req", "-in", "\(dir)/\(name).csr", "-CA", "\(dir)/ca.crt", "-CAkey", "\(dir)/ca.key",
                           "-CAcreateserial", "-out", "\(dir)/\(name).crt", "-days", "1", "-extfile", "\(dir)/\(name).ext"])
        }
        let tls = TLSConfiguration(caFile: "\(dir)/ca.crt", clientCertFile: "\(dir)/client.crt",
                                   clientKeyFile: "\(dir)/client.key")
        let etcd = try dedicatedEtcd(scheme: "https", extraArgs: [
            "--cert-file", "\(dir)/server.crt", "--key-file", "\(dir)/server.key",
            "--client-cert-auth", "--trusted-ca-file", "\(dir)/ca.crt",
        ], probeTLS: tls)
        try await etcd.start()

        let client = try EtcdClient(configuration: EtcdConfiguration(endpoints: [etcd.endpoint], tls: tls))
        defer { client.shutdown() }
        try await client.put("/tls/k", "secure")
        let value = try await client.get("/tls/k")?.valueString
        XCTAssertEqual(value, "secure")
        let grant = try await client.grantLease(ttl: 5)
        try await client.keepAlive(lease: grant.id)

        let noClientCert = try EtcdClient(configuration: EtcdConfiguration(
            endpoints: [etcd.endpoint], tls: TLSConfiguration(caFile: "\(dir)/ca.crt")))
        defer { noClientCert.shutdown() }
        do {
            _ = try await noClientCert.get("/tls/k")
            XCTFail("etcd requires a client certificate")
        } catch {}

        let untrusted = try EtcdClient(configuration: EtcdConfiguration(endpoints: [etcd.endpoint]))
        defer { untrusted.shutdown() }
        do {
            _ = try await untrusted.get("/tls/k")
            XCTFail("the server certificate is not trusted")
        } catch {
            guard case .tls = error else { return XCTFail("expected a TLS error, got \(error)") }
        }
    }
}
