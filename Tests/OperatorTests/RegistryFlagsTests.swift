import AgentTestSupport
import Foundation
import Registry
import RuntimeCore
import XCTest

@testable import Operator

/// The registry flags `controller` and `local` share: both subcommands accept and refuse the same ones
/// (the etcd connection flags themselves are tested in RegistryTests' EtcdFlagsTests).
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
        XCTAssertTrue(names.isSuperset(of: EtcdFlags.specs().map(\.name)))
        XCTAssertTrue(names.isSubset(of: ControllerOptions.spec.flags.map(\.name)))
        XCTAssertTrue(names.isSubset(of: LocalOptions.spec.flags.map(\.name)))
    }

    func testBothSubcommandsRefuseTheBadCombinations() {
        for parse in [controller, local] {
            let usernameOnly = ["--etcd-endpoints", "http://e:2379", "--etcd-username", "agent"]
            XCTAssertEqual(refusal { () throws(UsageError) in try parse(usernameOnly, [:]) },
                           "--etcd-username needs --etcd-password-file (etcd auth takes both)")
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

    func testPrefixAndConnection() throws {
        XCTAssertEqual(try controller([]).prefix, RegistryKeys.defaultPrefix)
        XCTAssertNil(try controller([]).etcd.configuration(), "no endpoints: no registry")
        let flags = try local(["--etcd-endpoints", "e1:2379", "--registry-prefix", "/p"], env: ["AGENT_ETCD_CACERT": "/ca"])
        XCTAssertEqual(flags.prefix, "/p")
        XCTAssertEqual(flags.etcd.endpoints, "e1:2379")
        XCTAssertEqual(flags.etcd.caCert, "/ca")
    }
}
