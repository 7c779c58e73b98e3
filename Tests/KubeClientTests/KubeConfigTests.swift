import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

final class KubeConfigTests: XCTestCase {
    let sample = """
        apiVersion: v1
        kind: Config
        current-context: dev
        clusters:
        - name: dev-cluster
          cluster:
            server: https://dev.example:6443
            certificate-authority: certs/ca.pem
            tls-server-name: kubernetes.default
        - name: prod-cluster
          cluster:
            server: https://prod.example
            certificate-authority-data: aGVsbG8=
            insecure-skip-tls-verify: false
        - name: insecure
          cluster:
            server: https://insecure.example
            insecure-skip-tls-verify: true
        users:
        - name: dev-user
          user:
            client-certificate: certs/client.pem
            client-key: /abs/client.key
        - name: token-user
          user:
            token: abc123
        - name: file-user
          user:
            tokenFile: tokens/t
        - name: basic-user
          user:
            username: admin
            password: secret
        - name: exec-user
          user:
            exec:
              apiVersion: client.authentication.k8s.io/v1beta1
              command: ./bin/plugin
              args: [get-token, --cluster, dev]
              env:
              - name: FOO
                value: bar
              provideClusterInfo: true
        contexts:
        - name: dev
          context: {cluster: dev-cluster, user: dev-user, namespace: team-a}
        - name: prod
          context: {cluster: prod-cluster, user: token-user}
        - name: insecure
          context: {cluster: insecure, user: basic-user}
        - name: file
          context: {cluster: dev-cluster, user: file-user}
        - name: exec
          context: {cluster: prod-cluster, user: exec-user}
        """

    func testParsesClustersUsersContextsAndResolvesRelativePaths() throws {
        let c = try KubeConfig.parse(sample, file: "/home/me/.kube/config")
        XCTAssertEqual(c.currentContext, "dev")
        XCTAssertEqual(c.clusters.count, 3)
        XCTAssertEqual(c.clusters["dev-cluster"]?.certificateAuthority, "/home/me/.kube/certs/ca.pem")
        XCTAssertEqual(c.clusters["dev-cluster"]?.tlsServerName, "kubernetes.default")
        XCTAssertEqual(c.clusters["prod-cluster"]?.certificateAuthorityData, Data("hello".utf8))
        XCTAssertEqual(c.clusters["prod-cluster"]?.insecureSkipTLSVerify, false)
        XCTAssertEqual(c.clusters["insecure"]?.insecureSkipTLSVerify, true)
        XCTAssertEqual(c.users["dev-user"]?.clientCertificate, "/home/me/.kube/certs/client.pem")
        XCTAssertEqual(c.users["dev-user"]?.clientKey, "/abs/client.key")
        XCTAssertEqual(c.users["file-user"]?.tokenFile, "/home/me/.kube/tokens/t")
        let exec = try XCTUnwrap(c.users["exec-user"]?.exec)
        XCTAssertEqual(exec.command, "/home/me/.kube/bin/plugin")
        XCTAssertEqual(exec.args, ["get-token", "--cluster", "dev"])
        XCTAssertEqual(exec.env, [.init(name: "FOO", value: "bar")])
        XCTAssertEqual(exec.apiVersion, "client.authentication.k8s.io/v1beta1")
        XCTAssertTrue(exec.provideClusterInfo)
        XCTAssertEqual(c.contexts["dev"]?.namespace, "team-a")
    }

    func testClientConfigPerContext() throws {
        let c = try KubeConfig.parse(sample, file: "/k/config")
        let dev = try KubeConfigLoader.clientConfig(from: c)
        XCTAssertEqual(dev.server, "https://dev.example:6443")
        XCTAssertEqual(dev.namespace, "team-a")
        XCTAssertEqual(dev.tls?.caFile, "/k/certs/ca.pem")
        XCTAssertEqual(dev.tls?.clientCertFile, "/k/certs/client.pem")
        XCTAssertEqual(dev.tls?.serverName, "kubernetes.default")
        XCTAssertEqual(dev.tls?.insecureSkipVerify, false)
        XCTAssertEqual(dev.credentials, .none)
        XCTAssertEqual(dev.source, "kubeconfig /k/config (context dev)")

        let prod = try KubeConfigLoader.clientConfig(from: c, context: "prod")
        XCTAssertEqual(prod.credentials, .bearerToken("abc123"))
        XCTAssertEqual(prod.namespace, "default")
        XCTAssertEqual(prod.tls?.caData, Data("hello".utf8))

        let insecure = try KubeConfigLoader.clientConfig(from: c, context: "insecure")
        XCTAssertEqual(insecure.tls?.insecureSkipVerify, true)
        XCTAssertEqual(insecure.credentials, .basic(username: "admin", password: "secret"))

        XCTAssertEqual(try KubeConfigLoader.clientConfig(from: c, context: "file").credentials, .tokenFile("/k/tokens/t"))

        guard case .exec(let e) = try KubeConfigLoader.clientConfig(from: c, context: "exec").credentials else {
            return XCTFail("expected exec credentials")
        }
        XCTAssertEqual(e.cluster?["server"], "https://prod.example")
        XCTAssertEqual(e.cluster?["certificate-authority-data"], "aGVsbG8=")
    }

    func testInsecureSkipVerifyOnlyWhenLiterallyTrue() {
        let text = """
            clusters:
            - name: c
              cluster: {server: "https://x", insecure-skip-tls-verify: "yes please"}
            """
        XCTAssertThrowsError(try KubeConfig.parse(text, file: "/x/cfg")) { error in
            XCTAssertEqual("\(error)", "kubeconfig /x/cfg: clusters[0].cluster.insecure-skip-tls-verify: expected true or false, got string \"yes please\"")
        }
    }

    func testPlainHTTPServerHasNoTLS() throws {
        let text = """
            {"current-context": "e", "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:8001"}}],
             "contexts": [{"name": "e", "context": {"cluster": "c"}}]}
            """
        let cfg = try KubeConfigLoader.clientConfig(from: KubeConfig.parse(text, file: "/x/cfg.json"))
        XCTAssertNil(cfg.tls)
        XCTAssertEqual(cfg.host, "127.0.0.1:8001")
        XCTAssertFalse(cfg.isTLS)
    }

    func testSyntaxErrorIsOneLineWithFileAndPosition() {
        let text = "clusters:\n- name: a\n  cluster: {server: [unclosed\n"
        XCTAssertThrowsError(try KubeConfig.parse(text, file: "/etc/kube/bad.yaml")) { error in
            let d = "\(error)"
            XCTAssertTrue(d.hasPrefix("kubeconfig /etc/kube/bad.yaml:"), d)
            XCTAssertFalse(d.contains("\n"), d)
            guard case .syntax(let y) = error as? KubeConfigError else { return XCTFail("not a syntax error: \(error)") }
            XCTAssertGreaterThan(y.line, 0)
            XCTAssertGreaterThan(y.column, 0)
            XCTAssertTrue(d.contains(":\(y.line):\(y.column): "), d)
        }
    }

    func testFieldErrorsNameFileAndField() {
        let cases: [(String, String)] = [
            ("clusters: {a: b}", "kubeconfig /f: clusters: expected a list, got object"),
            ("clusters:\n- cluster: {server: x}", "kubeconfig /f: clusters[0].name: missing"),
            ("users:\n- name: u\n  user: {token: [1]}", "kubeconfig /f: users[0].user.token: expected a string, got array"),
            ("users:\n- name: u\n  user: {client-key-data: '!!notbase64'}", "kubeconfig /f: users[0].user.client-key-data: invalid base64"),
            ("users:\n- name: u\n  user: {exec: {command: x}}",
             "kubeconfig /f: users[0].user.exec.apiVersion: missing (want one of client.authentication.k8s.io/v1, client.authentication.k8s.io/v1beta1)"),
            ("users:\n- name: u\n  user: {exec: {command: x, apiVersion: client.authentication.k8s.io/v1alpha1}}",
             "kubeconfig /f: users[0].user.exec.apiVersion: unsupported \"client.authentication.k8s.io/v1alpha1\" (want one of client.authentication.k8s.io/v1, client.authentication.k8s.io/v1beta1)"),
            ("contexts:\n- name: c\n  context: {user: u}", "kubeconfig /f: contexts[0].context.cluster: missing"),
            ("- a\n- b", "kubeconfig /f: expected a mapping at the top level, got array"),
        ]
        for (text, want) in cases {
            XCTAssertThrowsError(try KubeConfig.parse(text, file: "/f"), text) { error in
                XCTAssertEqual("\(error)", want)
            }
        }
    }

    func testMissingReferencesAreReported() throws {
        let c = try KubeConfig.parse(sample, file: "/k/config")
        XCTAssertThrowsError(try KubeConfigLoader.clientConfig(from: c, context: "foo")) {
            XCTAssertEqual("\($0)", "kubeconfig /k/config: context \"foo\" not found")
        }
        let dangling = """
            current-context: a
            contexts:
            - {name: a, context: {cluster: nope, user: u}}
            - {name: b, context: {cluster: c, user: nobody}}
            clusters:
            - {name: c, cluster: {server: "https://c"}}
            - {name: empty, cluster: {}}
            """
        let d = try KubeConfig.parse(dangling, file: "/k/d")
        XCTAssertThrowsError(try KubeConfigLoader.clientConfig(from: d)) {
            XCTAssertEqual("\($0)", "kubeconfig /k/d: cluster \"nope\" (of context \"a\") not found")
        }
        XCTAssertThrowsError(try KubeConfigLoader.clientConfig(from: d, context: "b")) {
            XCTAssertEqual("\($0)", "kubeconfig /k/d: user \"nobody\" (of context \"b\") not found")
        }
        XCTAssertThrowsError(try KubeConfigLoader.clientConfig(from: KubeConfig.parse("clusters: []", file: "/k/e"))) {
            XCTAssertEqual("\($0)", "kubeconfig /k/e: no current-context set and no context given")
        }
        let noServer = try KubeConfig.parse("current-context: x\ncontexts: [{name: x, context: {cluster: empty}}]\nclusters: [{name: empty, cluster: {}}]", file: "/k/n")
        XCTAssertThrowsError(try KubeConfigLoader.clientConfig(from: noServer)) {
            XCTAssertEqual("\($0)", "kubeconfig /k/n: cluster \"empty\" has no server")
        }
    }

    func testTokenAndBasicTogetherIsAnError() throws {
        let text = """
            current-context: x
            contexts: [{name: x, context: {cluster: c, user: u}}]
            clusters: [{name: c, cluster: {server: "https://c"}}]
            users: [{name: u, user: {token: t, username: a, password: b}}]
            """
        XCTAssertThrowsError(try KubeConfigLoader.clientConfig(from: KubeConfig.parse(text, file: "/k/u"))) {
            XCTAssertEqual("\($0)", "kubeconfig /k/u: user \"u\": more than one authentication method (token and username/password)")
        }
    }

    func testMergeFirstFileWinsPerEntry() throws {
        let a = try KubeConfig.parse("""
            current-context: from-a
            clusters: [{name: shared, cluster: {server: "https://a"}}]
            contexts: [{name: from-a, context: {cluster: shared}}]
            """, file: "/a")
        let b = try KubeConfig.parse("""
            current-context: from-b
            clusters: [{name: shared, cluster: {server: "https://b"}}, {name: only-b, cluster: {server: "https://ob"}}]
            contexts: [{name: from-b, context: {cluster: only-b}}]
            """, file: "/b")
        let m = a.merging(b)
        XCTAssertEqual(m.currentContext, "from-a")
        XCTAssertEqual(m.clusters["shared"]?.server, "https://a")
        XCTAssertEqual(m.clusters["shared"]?.source, "/a")
        XCTAssertEqual(m.clusters["only-b"]?.server, "https://ob")
        XCTAssertEqual(m.files, ["/a", "/b"])
        XCTAssertEqual(try KubeConfigLoader.clientConfig(from: m, context: "from-b").server, "https://ob")
    }

    func testEmptyFileIsAnEmptyConfig() throws {
        let c = try KubeConfig.parse("\n", file: "/e")
        XCTAssertTrue(c.clusters.isEmpty)
        XCTAssertNil(c.currentContext)
    }

    func testUnreadableFile() {
        XCTAssertThrowsError(try KubeConfig.load(file: "/nonexistent/kubeconfig")) {
            XCTAssertTrue("\($0)".hasPrefix("kubeconfig /nonexistent/kubeconfig: cannot read: "), "\($0)")
        }
    }
}
