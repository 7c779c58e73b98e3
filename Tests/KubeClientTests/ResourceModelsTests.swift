import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

/// Round trips of the smaller typed models (Secret, ConfigMap, Lease, Service, Events, NetworkPolicy,
/// PersistentVolumeClaim, Namespace): everything they model survives decode + encode.
final class ResourceModelsTests: XCTestCase {
    func roundTrip<T: Codable>(_ type: T.Type, _ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> T {
        let original = try JSON.parse(text)
        let value = try original.decode(T.self)
        XCTAssertEqual(try JSON(encoding: value), original, file: file, line: line)
        return value
    }

    func testSecretDataIsBase64OnTheWire() throws {
        let s = try roundTrip(Secret.self, """
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": "a"}, "type": "Opaque",
             "data": {"mcp-api-key": "c2VjcmV0", "bin": "AAEC"}, "immutable": false}
            """)
        XCTAssertEqual(s.string("mcp-api-key"), "secret")
        XCTAssertEqual(s.data?["bin"], Data([0, 1, 2]))
        let built = Secret(metadata: ObjectMeta(name: "x"), data: ["k": Data("v".utf8)], stringData: ["p": "plain"])
        let j = try JSON(encoding: built)
        XCTAssertEqual(j["data"]["k"], "dg==")
        XCTAssertEqual(j["stringData"]["p"], "plain")
        XCTAssertEqual(j["kind"], "Secret")
        XCTAssertEqual(built.string("p"), "plain")
    }

    func testConfigMap() throws {
        let c = try roundTrip(ConfigMap.self, #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"b"},"binaryData":{"z":"AA=="}}"#)
        XCTAssertEqual(c.data?["a"], "b")
    }

    func testLeaseUsesMicroTime() throws {
        let l = try roundTrip(Lease.self, """
            {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "agent-operator", "namespace": "system"},
             "spec": {"holderIdentity": "op-1", "leaseDurationSeconds": 15, "acquireTime": "2024-05-01T10:00:00.123456Z",
                      "renewTime": "2024-05-01T10:00:10.000001Z", "leaseTransitions": 4, "strategy": "OldestEmulationVersion",
                      "preferredHolder": "op-2"}}
            """)
        XCTAssertEqual(l.spec?.renewTime?.description, "2024-05-01T10:00:10.000001Z")
        XCTAssertEqual(Lease.resource.path(namespace: "system", name: "x"), "/apis/coordination.k8s.io/v1/namespaces/system/leases/x")
    }

    func testService() throws {
        let s = try roundTrip(Service.self, """
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
             "spec": {"type": "ClusterIP", "selector": {"app": "x"}, "clusterIP": "10.0.0.5", "clusterIPs": ["10.0.0.5"],
                      "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "sessionAffinity": "None",
                      "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": "supervisor"}]},
             "status": {"loadBalancer": {}}}
            """)
        XCTAssertEqual(s.spec?.ports?.first?.targetPort, .string("supervisor"))
    }

    func testEvents() throws {
        let e = try roundTrip(Event.self, """
            {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "p.17a", "namespace": "a"},
             "involvedObject": {"kind": "Pod", "name": "p", "namespace": "a", "uid": "u"},
             "reason": "Created", "message": "Created container agent", "source": {"component": "kubelet", "host": "n1"},
             "firstTimestamp": "2024-05-01T10:00:00Z", "lastTimestamp": "2024-05-01T10:00:05Z", "count": 2, "type": "Normal",
             "eventTime": "2024-05-01T10:00:00.000100Z", "reportingComponent": "kubelet", "reportingInstance": "n1"}
            """)
        XCTAssertEqual(e.count, 2)
        let v1 = try roundTrip(EventsV1Event.self, """
            {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "s.1", "namespace": "a"},
             "eventTime": "2024-05-01T10:00:00.500000Z", "reportingController": "parallax.ai/agent-operator",
             "reportingInstance": "op-1", "action": "Reconcile", "reason": "PodCreated", "type": "Normal",
             "regarding": {"apiVersion": "parallax.ai/v1alpha1", "kind": "AgentSession", "name": "s", "namespace": "a"},
             "note": "created pod s", "series": {"count": 3, "lastObservedTime": "2024-05-01T10:01:00.000000Z"},
             "deprecatedCount": 3}
            """)
        XCTAssertEqual(v1.regarding?.kind, "AgentSession")
        XCTAssertEqual(EventsV1Event.resource.path(namespace: "a"), "/apis/events.k8s.io/v1/namespaces/a/events")
        XCTAssertEqual(Event.resource.path(namespace: "a"), "/api/v1/namespaces/a/events")
    }

    func testNetworkPolicy() throws {
        let n = try roundTrip(NetworkPolicy.self, """
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "agents"},
             "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "agent-session"}},
                      "policyTypes": ["Ingress", "Egress"],
                      "ingress": [{"from": [{"namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "In", "values": ["a"]}]},
                                             "podSelector": {"matchLabels": {"role": "operator"}}}],
                                   "ports": [{"protocol": "TCP", "port": 8077}]}],
                      "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}],
                                  "ports": [{"port": 443, "endPort": 444}]}]}}
            """)
        let sel = try XCTUnwrap(n.spec?.ingress?.first?.from?.first?.namespaceSelector).selector
        XCTAssertTrue(sel.matches(["team": "a"]))
        XCTAssertFalse(sel.matches(["team": "b"]))
    }

    func testPersistentVolumeClaimAndNamespace() throws {
        let p = try roundTrip(PersistentVolumeClaim.self, """
            {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "ws"},
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}, "storageClassName": "fast",
                      "volumeMode": "Filesystem"},
             "status": {"phase": "Bound", "capacity": {"storage": "10Gi"}, "conditions": [{"type": "Resizing", "status": "True"}]}}
            """)
        XCTAssertEqual(p.spec?.resources?.requests?["storage"]?.int64Value, 10 * 1024 * 1024 * 1024)
        let ns = try roundTrip(Namespace.self, #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a"},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}"#)
        XCTAssertEqual(ns.status?.phase, "Active")
        XCTAssertEqual(Namespace.resource.path(namespace: "ignored", name: "team-a"), "/api/v1/namespaces/team-a")
        XCTAssertEqual(Namespace(name: "x").metadata.name, "x")
    }
}
