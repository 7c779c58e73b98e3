import AgentTestSupport
import Foundation
import Registry
import RuntimeCore
import XCTest

@testable import Operator

/// The registry flags `controller` and `local` share: both subcommands accept and refuse the same ones.
final class RegistryFlagsTests: XCTestCase {
    func controller(_ args: [String], env: [String: String] = [:]) throws(UsageError) -> RegistryFlags {
        try ControllerOptions(flags: try ControllerOptions.spec.parse(args, environment: env), environment: env).registry
    }

    func local(_ args: [String], env: [String: String] = [:]) throws(UsageError) -> RegistryFlags {
        let required = ["--api-token-file", "/tokens", "--workdir-root", "/agents", "--supervisor-binary", "/bin/sh"]
        return try LocalOptions(flags: try LocalOptions.spec.parse(required + args, environment: env)).registry
    }

    /// The message a refused command line gets from one subcommand's parser, or nil when it is accepted.
    func refusal(_ parse: () throws(UsageError) -> RegistryFlags) -> String? {
        do {
            _ = try parse()
            return nil
        } catch {
            return error.message
        }
    }

    func testBothSubcommandsShareTheFlags() {
        let names = Set(RegistryFlags.specs.map(\.name))
        XCTAssertTrue(names.isSubset(of: ControllerOptions.spec.flags.map(\.name)))
        XCTAssertTrue(names.isSubset(of: LocalOptions.spec.flags.map(\.name)))
    }

    func testAUsernameWithoutAPasswordFileIsRefusedByBoth() {
        for parse in [controller, local] {
            for (args, env) in [(["--etcd-endpoints", "http://e:2379", "--etcd-username", "agent"], [:]),
                                ([], ["AGENT_ETCD_ENDPOINTS": "http://e:2379", "AGENT_ETCD_USERNAME": "agent"])] {
                XCTAssertEqual(refusal { () throws(UsageError) in try parse(args, env) },
                               "--etcd-username needs --etcd-password-file (etcd auth takes both)", "\(args) \(env)")
            }
            XCTAssertEqual(refusal { () throws(UsageError) in try parse(["--etcd-password-file", "/p"], [:]) },
                           "--etcd-password-file needs --etcd-username (etcd auth takes both)")
            XCTAssertEqual(refusal { () throws(UsageError) in try parse(["--etcd-cert", "/c"], [:]) },
                           "--etcd-cert and --etcd-key go together")
        }
    }

    func testTheProgramsExitWithCode2NamingBothFlags() async throws {
        let binary = try BuiltBinaries.path("agent-operator")
        let dir = try TempDirectory(prefix: "registry-flags")
        defer { dir.remove() }
        let auth = ["--etcd-endpoints", "http://127.0.0.1:1", "--etcd-username", "agent"]
        for args in [auth, ["local", "--api-token-file", dir.path + "/tokens", "--workdir-root", dir.path] + auth] {
            let r = try await runToCompletion(binary, args, timeout: .seconds(20))
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("--etcd-username needs --etcd-password-file"), r.stderr)
        }
    }

    func testConfiguration() throws {
        XCTAssertNil(try controller([]).configuration(), "no endpoints: no registry")

        let dir = try TempDirectory(prefix: "registry-flags")
        defer { dir.remove() }
        let passwordFile = dir.path + "/password"
        try "secret\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let flags = try local(["--etcd-endpoints", "e1:2379,https://e2:2379/", "--etcd-cacert", "/ca", "--etcd-cert", "/c",
                               "--etcd-key", "/k", "--etcd-username", "agent", "--etcd-password-file", passwordFile,
                               "--registry-prefix", "/p"])
        XCTAssertEqual(flags.prefix, "/p")
        let c = try XCTUnwrap(try flags.configuration())
        XCTAssertEqual(c.endpoints, ["http://e1:2379", "https://e2:2379"])
        XCTAssertEqual(c.tls?.caFile, "/ca")
        XCTAssertEqual(c.tls?.clientCertFile, "/c")
        XCTAssertEqual(c.tls?.clientKeyFile, "/k")
        XCTAssertEqual(c.credentials, EtcdCredentials(username: "agent", password: "secret"))

        let unreadable = try controller(["--etcd-endpoints", "e:2379", "--etcd-username", "agent",
                                         "--etcd-password-file", dir.path + "/missing"])
        XCTAssertThrowsError(try unreadable.configuration())
    }
}
