// swift-tools-version:6.0
//
// agent-runtime: the Kubernetes operator and runtime that hosts one pod per interactive CLI coding agent.
// No package dependencies: Debian's libcurl, libyaml and civetweb come in through system-library targets.
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "agent-runtime",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kube-emulator", targets: ["kube-emulator"]),
        .executable(name: "agent-supervisor", targets: ["agent-supervisor"]),
        .executable(name: "agentctl", targets: ["agentctl"]),
        .executable(name: "agent-operator", targets: ["agent-operator"]),
        .library(name: "KubeClient", targets: ["KubeClient"]),
        .library(name: "RuntimeCore", targets: ["RuntimeCore"]),
        .library(name: "CurlHTTP", targets: ["CurlHTTP"]),
    ],
    targets: [
        // C libraries from Debian (libcurl4-openssl-dev, libyaml-dev, libcivetweb-dev).
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CYaml", path: "Sources/CYaml", pkgConfig: "yaml-0.1",
                       providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CCivetweb", path: "Sources/CCivetweb",
                       providers: [.apt(["libcivetweb-dev"])]),

        // Shared building blocks: JSON values, YAML, HTTP server and WebSocket client (civetweb),
        // structured logging, Prometheus exposition.
        .target(name: "RuntimeCore", dependencies: ["CYaml", "CCivetweb"], swiftSettings: strict),
        // The HTTP client (libcurl's multi interface on a dedicated thread). A module of its own so that
        // agent-supervisor, which never makes an outgoing call, does not load libcurl and its TLS stack.
        .target(name: "CurlHTTP", dependencies: ["CCurl", "RuntimeCore"], swiftSettings: strict),
        // Hand-written Kubernetes REST client.
        .target(name: "KubeClient", dependencies: ["CurlHTTP", "RuntimeCore"], swiftSettings: strict),
        // etcd v3 client (JSON gateway over libcurl) and Parallax-compatible agent registration.
        .target(name: "Registry", dependencies: ["CurlHTTP", "RuntimeCore"], swiftSettings: strict),
        // The PTY supervisor that runs inside every agent pod.
        // PTY spawn helpers in C: posix_spawn's GNU extensions (chdir, closefrom) and the variadic prctl/ioctl.
        .target(name: "CPodSupport", path: "Sources/CPodSupport"),
        .target(name: "Pod", dependencies: ["RuntimeCore", "CPodSupport"], swiftSettings: strict),
        .executableTarget(name: "agent-supervisor", dependencies: ["Pod", "RuntimeCore"],
                          path: "Sources/agent-supervisor", swiftSettings: strict),
        .executableTarget(name: "agentctl", dependencies: ["CurlHTTP", "Registry", "RuntimeCore"],
                          path: "Sources/agentctl", swiftSettings: strict),
        // The AgentSession controller (issue 5) and, later, the runtime API and local mode (issue 6).
        .target(name: "Operator", dependencies: ["CurlHTTP", "KubeClient", "Registry", "RuntimeCore"], swiftSettings: strict),
        .executableTarget(name: "agent-operator", dependencies: ["Operator", "RuntimeCore"],
                          path: "Sources/agent-operator", swiftSettings: strict),
        // In-memory Kubernetes API server for tests and demos (never linked into the production programs).
        .target(name: "KubeEmulator", dependencies: ["CurlHTTP", "RuntimeCore"], swiftSettings: strict),
        .executableTarget(name: "kube-emulator", dependencies: ["KubeEmulator", "RuntimeCore"],
                          path: "Sources/kube-emulator", swiftSettings: strict),

        // Benchmarks (bench/): release-built drivers measured against baselines in the same run.
        .executableTarget(name: "kube-bench", dependencies: ["KubeClient", "RuntimeCore"],
                          path: "bench/kubeclient/KubeBench", swiftSettings: strict),

        .executableTarget(name: "operator-bench", dependencies: ["CurlHTTP", "KubeClient", "RuntimeCore"],
                          path: "bench/operator/OperatorBench", swiftSettings: strict),
        .executableTarget(name: "json-bench", dependencies: ["KubeClient", "RuntimeCore"],
                          path: "bench/json/JSONBench", swiftSettings: strict),
        .executableTarget(name: "registry-bench", dependencies: ["CurlHTTP", "Registry", "RuntimeCore"],
                          path: "bench/registry/RegistryBench", swiftSettings: strict),

        // Process-level test helpers: built binaries, kube-emulator/etcd/agent-operator on random ports, kubectl.
        .target(name: "AgentTestSupport", dependencies: ["CurlHTTP", "KubeClient", "Registry", "RuntimeCore"],
                path: "Tests/AgentTestSupport", swiftSettings: strict),
        .testTarget(name: "RuntimeCoreTests", dependencies: ["AgentTestSupport", "CurlHTTP", "RuntimeCore"], swiftSettings: strict),
        .testTarget(name: "CurlHTTPTests", dependencies: ["CurlHTTP", "RuntimeCore"], swiftSettings: strict),
        .testTarget(name: "KubeClientTests", dependencies: ["CurlHTTP", "KubeClient", "KubeEmulator", "RuntimeCore"],
                    swiftSettings: strict),
        .testTarget(name: "RegistryTests", dependencies: ["AgentTestSupport", "CurlHTTP", "Registry", "RuntimeCore"],
                    swiftSettings: strict),
        .testTarget(name: "PodTests", dependencies: ["AgentTestSupport", "CurlHTTP", "Pod", "RuntimeCore"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "OperatorTests", dependencies: ["Operator", "AgentTestSupport", "CurlHTTP", "KubeClient", "KubeEmulator",
                                                         "Registry", "RuntimeCore"],
                    swiftSettings: strict),
        .testTarget(name: "KubeEmulatorTests", dependencies: ["CurlHTTP", "KubeEmulator", "RuntimeCore"],
                    exclude: ["Fixtures"], swiftSettings: strict),
    ]
)
