import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

final class KubeConfigLoaderTests: XCTestCase {
    func kubeconfig(server: String, context: String = "main", namespace: String? = nil) -> String {
        """
        current-context: \(context)
        clusters: [{name: c-\(context), cluster: {server: "\(server)"}}]
        contexts: [{name: \(context), context: {cluster: c-\(context)\(namespace.map { ", namespace: \($0)" } ?? "")}}]
        """
    }

    func makeServiceAccount(in dir: String, token: String = "sa-token", namespace: String? = "agents") throws -> String {
        let sa = dir + "/sa"
        try FileManager.default.createDirectory(atPath: sa, withIntermediateDirectories: true)
        try write(token + "\n", to: sa + "/token")
        try write("-----BEGIN CERTIFICATE-----\n", to: sa + "/ca.crt")
        if let ns = namespace { try write(ns + "\n", to: sa + "/namespace") }
        return sa
    }

    func testInClusterConfig() throws {
        let dir = try temporaryDirectory(self)
        let sa = try makeServiceAccount(in: dir)
        let env = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        let c = try KubeConfigLoader.inCluster(environment: env, directory: sa)
        XCTAssertEqual(c.server, "https://10.96.0.1:443")
        XCTAssertEqual(c.tls?.caFile, sa + "/ca.crt")
        XCTAssertEqual(c.credentials, .tokenFile(sa + "/token"))
        XCTAssertEqual(c.namespace, "agents")
        XCTAssertEqual(c.source, "in-cluster")

        let v6 = try KubeConfigLoader.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"], directory: sa)
        XCTAssertEqual(v6.server, "https://[fd00::1]:6443")
    }

    func testInClusterNamespaceDefaultsAndErrors() throws {
        let dir = try temporaryDirectory(self)
        let sa = try makeServiceAccount(in: dir, namespace: nil)
        let env = ["KUBERNETES_SERVICE_HOST": "h", "KUBERNETES_SERVICE_PORT": "1"]
        XCTAssertEqual(try KubeConfigLoader.inCluster(environment: env, directory: sa).namespace, "default")
        XCTAssertThrowsError(try KubeConfigLoader.inCluster(environment: [:], directory: sa)) {
            XCTAssertEqual("\($0)", "in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set")
        }
        XCTAssertThrowsError(try KubeConfigLoader.inCluster(environment: env, directory: dir + "/none")) {
            XCTAssertEqual("\($0)", "in-cluster config: service account token \(dir)/none/token is not readable")
        }
    }

    func testInClusterTokenIsReReadPeriodically() async throws {
        let dir = try temporaryDirectory(self)
        let sa = try makeServiceAccount(in: dir, token: "first")
        let provider = CredentialProvider(.tokenFile(sa + "/token"), tokenFileReloadInterval: .seconds(1))
        let a = try await provider.authorization()
        XCTAssertEqual(a.headers.first?.1, "Bearer first")
        try write("second\n", to: sa + "/token")
        // Within the reload interval the cached token is served.
        let b = try await provider.authorization()
        XCTAssertEqual(b.headers.first?.1, "Bearer first")
        try await Task.sleep(for: .milliseconds(1100))
        let c = try await provider.authorization()
        XCTAssertEqual(c.headers.first?.1, "Bearer second")
    }

    func testLookupOrder() throws {
        let dir = try temporaryDirectory(self)
        let flagFile = dir + "/flag.yaml"
        let envA = dir + "/a.yaml"
        let envB = dir + "/b.yaml"
        let home = dir + "/home"
        try FileManager.default.createDirectory(atPath: home + "/.kube", withIntermediateDirectories: true)
        try write(kubeconfig(server: "https://flag"), to: flagFile)
        try write(kubeconfig(server: "https://env-a", context: "a"), to: envA)
        try write(kubeconfig(server: "https://env-b", context: "b", namespace: "nb"), to: envB)
        try write(kubeconfig(server: "https://home"), to: home + "/.kube/config")
        let sa = try makeServiceAccount(in: dir)
        let inClusterEnv = ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"]

        // 1. The flag wins over everything.
        var env = inClusterEnv.merging(["KUBECONFIG": envA]) { a, _ in a }
        XCTAssertEqual(try KubeConfigLoader(explicitPath: flagFile, environment: env, inClusterDirectory: sa, homeDirectory: home).load().server,
                       "https://flag")
        // 2. KUBECONFIG: a missing entry is skipped, the first file's current-context wins, entries merge.
        env["KUBECONFIG"] = dir + "/missing.yaml:" + envA + "::" + envB
        let merged = KubeConfigLoader(environment: env, inClusterDirectory: sa, homeDirectory: home)
        XCTAssertEqual(try merged.load().server, "https://env-a")
        var other = merged
        other.context = "b"
        XCTAssertEqual(try other.load().server, "https://env-b")
        XCTAssertEqual(try other.load().namespace, "nb")
        other.namespace = "override"
        XCTAssertEqual(try other.load().namespace, "override")
        // 3. In-cluster before ~/.kube/config.
        XCTAssertEqual(try KubeConfigLoader(environment: inClusterEnv, inClusterDirectory: sa, homeDirectory: home).load().source, "in-cluster")
        // KUBECONFIG naming only missing files falls through too.
        XCTAssertEqual(try KubeConfigLoader(environment: inClusterEnv.merging(["KUBECONFIG": dir + "/nope"]) { a, _ in a },
                                            inClusterDirectory: sa, homeDirectory: home).load().source, "in-cluster")
        // 4. ~/.kube/config last.
        XCTAssertEqual(try KubeConfigLoader(environment: [:], inClusterDirectory: sa, homeDirectory: home).load().server, "https://home")
        // Nothing at all.
        XCTAssertThrowsError(try KubeConfigLoader(environment: [:], inClusterDirectory: sa, homeDirectory: dir + "/nohome").load()) {
            XCTAssertTrue("\($0)".hasPrefix("no Kubernetes configuration: "), "\($0)")
            XCTAssertFalse("\($0)".contains("\n"))
        }
    }

    func testExplicitMissingFileIsAnError() {
        XCTAssertThrowsError(try KubeConfigLoader(explicitPath: "/no/such/file", environment: [:]).load()) {
            XCTAssertTrue("\($0)".hasPrefix("kubeconfig /no/such/file: cannot read"), "\($0)")
        }
    }

    func testLoadInBackground() async throws {
        let dir = try temporaryDirectory(self)
        try write(kubeconfig(server: "https://bg"), to: dir + "/c")
        let c = try await KubeConfigLoader(explicitPath: dir + "/c", environment: [:]).loadInBackground()
        XCTAssertEqual(c.server, "https://bg")
        do {
            _ = try await KubeConfigLoader(explicitPath: dir + "/missing", environment: [:]).loadInBackground()
            XCTFail("expected an error")
        } catch {
            XCTAssertTrue("\(error)".contains("cannot read"))
        }
    }
}
