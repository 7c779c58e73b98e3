import CurlHTTP
import Foundation
import XCTest

@testable import KubeEmulator
@testable import RuntimeCore

/// The emulator over HTTP (with our libcurl client): discovery, bad input, auth, faults and watch edges.
final class ServerTests: XCTestCase {
    var server: EmulatorServer!
    let client = HTTPClient.shared
    let token = "emulator-\(UUID().uuidString)"

    override func setUpWithError() throws {
        var config = EmulatorServer.Configuration()
        config.token = token
        config.watchHistory = 5
        config.bookmarkInterval = .milliseconds(300)
        server = EmulatorServer(configuration: config, logger: Logger(label: "emu", sink: .memory()))
        try server.start()
    }

    override func tearDown() { server.stop() }

    func call(_ path: String, method: String = "GET", body: String? = nil, contentType: String = "application/json",
              token: String? = nil) async throws -> (Int, JSON, HTTPClientResponse) {
        var headers = [("Authorization", "Bearer \(token ?? self.token)")]
        if body != nil { headers.append(("Content-Type", contentType)) }
        let r = try await client.execute(HTTPClientRequest(method: method, url: server.url + path, headers: headers,
                                                           body: body.map { Data($0.utf8) }))
        return (r.status, (try? JSON.parse(r.body)) ?? .null, r)
    }

    func testDiscoveryAndOpenAPI() async throws {
        let (s1, api, _) = try await call("/api")
        XCTAssertEqual(s1, 200)
        XCTAssertEqual(api["versions"], ["v1"])
        let (_, groups, _) = try await call("/apis")
        let names = groups["groups"].arrayValue?.compactMap { $0["name"].stringValue } ?? []
        XCTAssertTrue(names.contains("coordination.k8s.io"))
        XCTAssertTrue(names.contains("apiextensions.k8s.io"))
        let (_, core, _) = try await call("/api/v1")
        let pods = core["resources"].arrayValue?.first { $0["name"] == "pods" }
        XCTAssertEqual(pods?["namespaced"], true)
        XCTAssertTrue(core["resources"].arrayValue?.contains { $0["name"] == "pods/status" } ?? false)
        let (_, openapi, _) = try await call("/openapi/v3")
        let url = openapi["paths"]["api/v1"]["serverRelativeURL"].stringValue ?? ""
        XCTAssertTrue(url.hasPrefix("/openapi/v3/api/v1?hash="))
        let (s2, doc, _) = try await call(url)
        XCTAssertEqual(s2, 200)
        let patch = doc["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["patch"]
        XCTAssertEqual(patch["x-kubernetes-group-version-kind"]["kind"], "Pod")
        XCTAssertTrue(patch["parameters"].arrayValue?.contains { $0["name"] == "fieldValidation" } ?? false)
        let (s3, version, _) = try await call("/version")
        XCTAssertEqual(s3, 200)
        XCTAssertEqual(version["major"], "1")
        let (s4, _, _) = try await call("/apis/nope.example/v1/things")
        XCTAssertEqual(s4, 404)
    }

    func testTokenIsRequired() async throws {
        let (s, status, _) = try await call("/api/v1/namespaces", token: "wrong")
        XCTAssertEqual(s, 401)
        XCTAssertEqual(status["kind"], "Status")
        XCTAssertEqual(status["reason"], "Unauthorized")
        let open = try await client.execute(HTTPClientRequest(url: server.url + "/healthz"))
        XCTAssertEqual(open.status, 200)
    }

    func testMalformedObjectsGet400Or422NeverACrash() async throws {
        let path = "/api/v1/namespaces/default/configmaps"
        let (s1, st1, _) = try await call(path, method: "POST", body: "{not json")
        XCTAssertEqual(s1, 400)
        XCTAssertEqual(st1["reason"], "BadRequest")
        let (s2, _, _) = try await call(path, method: "POST", body: "[1,2,3]")
        XCTAssertEqual(s2, 400)
        let (s3, st3, _) = try await call(path, method: "POST", body: #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"\#(String(repeating: "a", count: 300))"}}"#)
        XCTAssertEqual(s3, 422)
        XCTAssertEqual(st3["reason"], "Invalid")
        XCTAssertEqual(st3["details"]["causes"][0]["field"], "metadata.name")
        let (s4, _, _) = try await call(path, method: "POST", body: #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ok"},"data":{"a":5}}"#)
        XCTAssertTrue([400, 422].contains(s4), "a number where a string belongs is refused, got \(s4)")
        let (s5, _, _) = try await call(path, method: "POST", body: "kind: [", contentType: "application/yaml")
        XCTAssertEqual(s5, 400)
        let (s6, _, _) = try await call(path + "/missing", method: "PATCH", body: "{}", contentType: "text/plain")
        XCTAssertEqual(s6, 415)
        let (s7, _, _) = try await call(path, method: "PUT", body: "{}")
        XCTAssertEqual(s7, 405)
        // Still serving.
        let (s8, _, _) = try await call(path)
        XCTAssertEqual(s8, 200)
    }

    func testConflictOnStaleUpdate() async throws {
        let path = "/api/v1/namespaces/default/configmaps"
        let (_, created, _) = try await call(path, method: "POST", body: #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"1"}}"#)
        var stale = created
        stale["data"] = ["a": "2"]
        let (s1, _, _) = try await call(path + "/c", method: "PUT", body: stale.serialized())
        XCTAssertEqual(s1, 200)
        stale["data"] = ["a": "3"]
        let (s2, st, _) = try await call(path + "/c", method: "PUT", body: stale.serialized())
        XCTAssertEqual(s2, 409)
        XCTAssertEqual(st["reason"], "Conflict")
    }

    func testInjected429CarriesRetryAfterAndHeals() async throws {
        var f = FaultSettings()
        f.errorRate = 1
        f.retryAfterSeconds = 2
        let (s0, _, _) = try await call("/emulator/faults", method: "PUT", body: (try JSON(encoding: f)).serialized())
        XCTAssertEqual(s0, 200)
        let (s1, st, r) = try await call("/api/v1/namespaces/default/pods")
        XCTAssertEqual(s1, 429)
        XCTAssertEqual(r.header("retry-after"), "2")
        XCTAssertEqual(st["reason"], "TooManyRequests")
        server.faultSettings = FaultSettings()
        let (s2, _, _) = try await call("/api/v1/namespaces/default/pods")
        XCTAssertEqual(s2, 200)
    }

    func watchLines(_ path: String) async throws -> (HTTPClientStream, AsyncThrowingStream<JSON, any Error>) {
        let stream = try await client.stream(HTTPClientRequest(url: server.url + path, headers: [("Authorization", "Bearer \(token)")], timeout: nil))
        let events = AsyncThrowingStream<JSON, any Error> { cont in
            let task = Task {
                var buffer = Data()
                do {
                    for try await chunk in stream.body {
                        buffer.append(chunk)
                        while let nl = buffer.firstIndex(of: 0x0A) {
                            let line = buffer[buffer.startIndex..<nl]
                            buffer = Data(buffer[(nl + 1)...])
                            if !line.isEmpty, let j = try? JSON.parse(Data(line)) { cont.yield(j) }
                        }
                    }
                    cont.finish()
                } catch { cont.finish(throwing: error) }
            }
            cont.onTermination = { _ in task.cancel() }
        }
        return (stream, events)
    }

    func testWatchStreamsBookmarksAndIsDroppedOnDemand() async throws {
        let (stream, events) = try await watchLines("/api/v1/namespaces/default/configmaps?watch=1&allowWatchBookmarks=true&resourceVersion=\(server.store.resourceVersion)")
        XCTAssertEqual(stream.status, 200)
        _ = try await call("/api/v1/namespaces/default/configmaps", method: "POST", body: #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w"}}"#)
        var types: [String] = []
        for try await e in events {
            types.append(e["type"].stringValue ?? "")
            if types.contains("ADDED") && types.contains("BOOKMARK") { break }
        }
        XCTAssertEqual(types.first, "ADDED")
        // Dropping watches ends the stream from the server side.
        let (_, events2) = try await watchLines("/api/v1/namespaces/default/configmaps?watch=1")
        let (s, _, _) = try await call("/emulator/drop-watches", method: "POST")
        XCTAssertEqual(s, 200)
        var count = 0
        for try await _ in events2 { count += 1 }  // ends without our cancelling it
        XCTAssertGreaterThanOrEqual(count, 1, "the initial ADDED of w arrives before the drop")
    }

    func testResumeFromCompactedHistoryGets410ErrorEvent() async throws {
        let rv = server.store.resourceVersion
        for i in 0..<3 {
            _ = try await call("/api/v1/namespaces/default/configmaps", method: "POST", body: #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"h\#(i)"}}"#)
        }
        let (s, _, _) = try await call("/emulator/compact", method: "POST")
        XCTAssertEqual(s, 200)
        let (stream, events) = try await watchLines("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=\(rv)")
        XCTAssertEqual(stream.status, 200, "like the apiserver: 200, then one ERROR event")
        var got: [JSON] = []
        for try await e in events { got.append(e) }
        XCTAssertEqual(got.count, 1)
        XCTAssertEqual(got.first?["type"], "ERROR")
        XCTAssertEqual(got.first?["object"]["code"], 410)
        XCTAssertEqual(got.first?["object"]["reason"], "Expired")
    }

    func testTableOutputUsesPrinterColumns() async throws {
        let headers = [("Authorization", "Bearer \(token)"), ("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")]
        let r = try await client.execute(HTTPClientRequest(url: server.url + "/api/v1/namespaces", headers: headers))
        let table = try JSON.parse(r.body)
        XCTAssertEqual(table["kind"], "Table")
        XCTAssertEqual(table["columnDefinitions"][0]["name"], "Name")
        XCTAssertTrue(table["rows"].arrayValue?.contains { $0["cells"][0] == "default" } ?? false)
    }
}
