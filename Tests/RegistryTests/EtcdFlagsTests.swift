import AgentTestSupport
import Foundation
import RuntimeCore
import XCTest

@testable import Registry

/// The etcd connection flags every etcd-using program shares: specs, the refused combinations, the configuration.
final class EtcdFlagsTests: XCTestCase {
    func parse(_ args: [String], env: [String: String] = [:], defaultEndpoints: String? = nil) throws(UsageError) -> EtcdFlags {
        let spec = CommandLineSpec(program: "test", usage: "", summary: "", flags: EtcdFlags.specs(defaultEndpoints: defaultEndpoints))
        return try EtcdFlags(flags: try spec.parse(args, environment: env))
    }

    /// The message a refused command line gets, or nil when it is accepted.
    func refusal(_ args: [String], env: [String: String] = [:]) -> String? {
        do {
            _ = try parse(args, env: env)
            return nil
        } catch {
            return error.message
        }
    }

    func testEndpointsDefaultIsTheCallersChoice() throws {
        XCTAssertEqual(try parse([]).endpoints, "", "no default: etcd is optional")
        XCTAssertNil(try parse([]).configuration(), "no endpoints: no configuration")
        XCTAssertEqual(try parse([], defaultEndpoints: "http://127.0.0.1:2379").endpoints, "http://127.0.0.1:2379")
        XCTAssertEqual(try parse([], env: ["AGENT_ETCD_ENDPOINTS": "http://x:1"], defaultEndpoints: "http://127.0.0.1:2379").endpoints,
                       "http://x:1", "the environment overrides the default")
        for spec in EtcdFlags.specs() {
            XCTAssertEqual(spec.environment, "AGENT_" + spec.name.uppercased().replacingOccurrences(of: "-", with: "_"), spec.name)
        }
    }

    func testIncompleteTLSAndAuthAreRefused() {
        for (args, env) in [(["--etcd-endpoints", "http://e:2379", "--etcd-username", "agent"], [:]),
                            ([], ["AGENT_ETCD_ENDPOINTS": "http://e:2379", "AGENT_ETCD_USERNAME": "agent"])] {
            XCTAssertEqual(refusal(args, env: env), "--etcd-username needs --etcd-password-file (etcd auth takes both)", "\(args) \(env)")
        }
        XCTAssertEqual(refusal(["--etcd-password-file", "/p"]), "--etcd-password-file needs --etcd-username (etcd auth takes both)")
        XCTAssertEqual(refusal(["--etcd-cert", "/c"]), "--etcd-cert and --etcd-key go together")
        XCTAssertEqual(refusal(["--etcd-key", "/k"]), "--etcd-cert and --etcd-key go together")
        XCTAssertNil(refusal(["--etcd-cacert", "/ca"]), "a CA alone is server verification only")
    }

    func testConfiguration() throws {
        let dir = try TempDirectory(prefix: "etcd-flags")
        defer { dir.remove() }
        let passwordFile = dir.path + "/password"
        try "secret\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let flags = try parse(["--etcd-endpoints", "e1:2379,https://e2:2379/", "--etcd-cacert", "/ca", "--etcd-cert", "/c",
                               "--etcd-key", "/k", "--etcd-username", "agent", "--etcd-password-file", passwordFile])
        let c = try XCTUnwrap(try flags.configuration())
        XCTAssertEqual(c.endpoints, ["http://e1:2379", "https://e2:2379"])
        XCTAssertEqual(c.tls?.caFile, "/ca")
        XCTAssertEqual(c.tls?.clientCertFile, "/c")
        XCTAssertEqual(c.tls?.clientKeyFile, "/k")
        XCTAssertEqual(c.credentials, EtcdCredentials(username: "agent", password: "secret"))
        XCTAssertEqual(c.requestTimeout, EtcdConfiguration(endpoints: []).requestTimeout, "no timeout given: the client's default")
        XCTAssertEqual(try flags.configuration(requestTimeout: .milliseconds(250))?.requestTimeout, .milliseconds(250))

        let plain = try XCTUnwrap(try parse(["--etcd-endpoints", "http://e:2379"]).configuration())
        XCTAssertNil(plain.tls)
        XCTAssertNil(plain.credentials)

        let unreadable = try parse(["--etcd-endpoints", "e:2379", "--etcd-username", "agent", "--etcd-password-file", dir.path + "/missing"])
        XCTAssertThrowsError(try unreadable.configuration())
        XCTAssertThrowsError(try parse(["--etcd-endpoints", "ftp://e"]).configuration())
    }
}
