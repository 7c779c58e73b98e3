import XCTest

@testable import Operator

/// The field rules shared by `POST /spawn` and admission (SpecRules.swift).
final class SpecRulesTests: XCTestCase {
    func testImageReferencesAsTheKubeletParsesThem() {
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        for good in ["busybox", "busybox:1.36", "library/busybox", "ghcr.io/parallax-ai/agent-codex:0.1.0",
                     "localhost:5000/a/b:tag", "localhost/x", "registry.example.com:443/team/agent_cli__x.y-z:v1.2_rc-3",
                     "docker.io/library/busybox@\(digest)", "busybox:1.36@\(digest)", "[::1]:5000/x:1", "a---b", "Registry.io/x",
                     "x:" + String(repeating: "t", count: 128)] {
            XCTAssertNil(SpecRules.imageProblem(good), good)
        }
        for bad in ["", "a;rm -rf /", "Upper", "repo/Upper:1", "a//b", "/a", "a/", "x:", "x:-tag", "x:" + String(repeating: "t", count: 129),
                    "img@sha256:abc", "img@:" + String(repeating: "a", count: 64), "img@1sha:" + String(repeating: "a", count: 64),
                    " img", "img ", "-lead", "trail-", "a..b", "a.-b", "host:port/x", "é", "a b",
                    String(repeating: "a", count: 256)] {
            XCTAssertNotNil(SpecRules.imageProblem(bad), bad)
        }
    }

    func testEnvNamesTheRuntimeOwnsOrTheLoaderReads() {
        XCTAssertNil(SpecRules.envNameProblem("OPENAI_API_KEY"))
        XCTAssertNil(SpecRules.envNameProblem("MY_AGENT_X"))
        XCTAssertNil(SpecRules.envNameProblem("_x1"))
        for name in ["AGENT_ID", "AGENT_ANYTHING", "SUPERVISOR_TOKEN", "SUPERVISOR_TOKEN_FILE", "LD_PRELOAD", "LD_AUDIT",
                     "GLIBC_TUNABLES", "MCP_API_KEY", "RAVEN_WORKSPACE_ID", "1X", "A-B", "", "A=B"] {
            XCTAssertNotNil(SpecRules.envNameProblem(name), name)
        }
        XCTAssertEqual(SpecRules.envNameProblem("MCP_API_KEY", setter: "the operator"), "env MCP_API_KEY is set by the operator and cannot be overridden")
    }

    func testEnvListsAndWorkdirs() {
        XCTAssertEqual(SpecRules.envProblems([("A", "1"), ("A", nil)]), ["env A is given twice"])
        XCTAssertEqual(SpecRules.envProblems([("A", String(repeating: "x", count: 32 * 1024 + 1))]), ["env A must be at most 32 KiB without NUL"])
        XCTAssertEqual(SpecRules.envProblems((0..<257).map { ("V\($0)", "1") }), ["env has 257 variables; at most 256 are allowed"])
        XCTAssertEqual(SpecRules.envProblems([("B", nil)]), [])  // valueFrom: no literal value to check
        XCTAssertEqual(SpecRules.workdirProblem("/w\u{0}", absolute: false), "workdir must not contain a NUL character")
        XCTAssertEqual(SpecRules.workdirProblem("/a/../b", absolute: true), "workdir \"/a/../b\" must not contain '..'")
        XCTAssertEqual(SpecRules.workdirProblem("src", absolute: true), "workdir \"src\" must be an absolute path")
        XCTAssertNil(SpecRules.workdirProblem("src", absolute: false))
        XCTAssertNil(SpecRules.workdirProblem("/workspace/a..b", absolute: true))
    }
}
