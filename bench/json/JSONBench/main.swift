// json-bench: RuntimeCore's JSON parser, writer and value coders against Foundation's JSONDecoder,
// JSONEncoder and JSONSerialization, in the same run, on a real pod and a real watch event (the pod of
// KubeClient's PodTests, in an ADDED frame). Prints a Markdown table of microseconds per operation.
//   json-bench [ITERATIONS=20000]
import Foundation
import KubeClient
import RuntimeCore

let iterations = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 20000
let podText = """
        {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": "fix-login-bug", "namespace": "team-a", "labels": {"parallax.ai/session": "fix-login-bug"}},
         "spec": {
           "initContainers": [{"name": "install-supervisor", "image": "operator:1", "command": ["cp", "/agent-supervisor", "/opt/agent-runtime/"],
                               "volumeMounts": [{"name": "runtime", "mountPath": "/opt/agent-runtime"}]}],
           "containers": [{
             "name": "agent", "image": "codex:latest", "workingDir": "/workspace",
             "command": ["/opt/agent-runtime/agent-supervisor", "--agent-type", "codex", "--", "codex"], "args": [],
             "env": [{"name": "AGENT_ID", "value": "team-a.fix-login-bug"},
                     {"name": "MCP_API_KEY", "valueFrom": {"secretKeyRef": {"name": "fix-login-bug-credentials", "key": "mcp-api-key"}}},
                     {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                     {"name": "CFG", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k", "optional": true}}}],
             "ports": [{"name": "supervisor", "containerPort": 8077, "protocol": "TCP"}],
             "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "4Gi"}},
             "readinessProbe": {"httpGet": {"path": "/readyz", "port": "supervisor"}, "periodSeconds": 5},
             "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8077}, "failureThreshold": 3},
             "securityContext": {"runAsNonRoot": true, "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]},
                                 "seccompProfile": {"type": "RuntimeDefault"}},
             "volumeMounts": [{"name": "home", "mountPath": "/home/agent"}]}],
           "volumes": [{"name": "runtime", "emptyDir": {}}, {"name": "home", "emptyDir": {"sizeLimit": "1Gi"}},
                       {"name": "token", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}],
           "restartPolicy": "Never", "serviceAccountName": "agent", "automountServiceAccountToken": false,
           "enableServiceLinks": false, "securityContext": {"runAsNonRoot": true, "fsGroup": 1000},
           "nodeSelector": {"pool": "agents"}, "tolerations": [{"key": "agents", "operator": "Exists", "effect": "NoSchedule"}],
           "runtimeClassName": "gvisor", "terminationGracePeriodSeconds": 30,
           "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}}},
         "status": {"phase": "Running", "podIP": "10.1.2.3", "podIPs": [{"ip": "10.1.2.3"}], "startTime": "2024-05-01T10:00:00Z",
                    "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2024-05-01T10:00:05Z"}],
                    "containerStatuses": [{"name": "agent", "ready": true, "restartCount": 2, "image": "codex:latest",
                                           "state": {"running": {"startedAt": "2024-05-01T10:00:03Z"}},
                                           "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}}
    """
let podData = Data(podText.utf8)
let eventData = Data(("{\"type\":\"ADDED\",\"object\":" + podText + "}").utf8)
let pod = try JSONDecoder().decode(Pod.self, from: podData)
let podValue = try JSON.parse(podData)

/// The envelope Foundation decodes a watch frame with (what KubeClient did before).
struct FoundationEnvelope: Decodable {
    let type: String
    let object: Pod
}

/// Runs `body` `iterations` times (after a warm-up tenth); microseconds per call.
func measure(_ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<max(1, iterations / 10) { try body() }
    let start = ContinuousClock.now
    for _ in 0..<iterations { try body() }
    return (ContinuousClock.now - start).inSeconds * 1e6 / Double(iterations)
}

var sink = 0
let rows: [(String, Double, Double)] = [
    ("parse pod bytes to a tree (JSON.parse / JSONSerialization)",
     try measure { sink &+= (try JSON.parse(podData)).objectValue?.count ?? 0 },
     try measure { sink &+= ((try JSONSerialization.jsonObject(with: podData)) as? NSDictionary)?.count ?? 0 }),
    ("decode typed Pod from bytes (parse + JSONValueDecoder / JSONDecoder)",
     try measure { sink &+= try JSONValueDecoder().decode(Pod.self, from: try JSON.parse(podData)).metadata.name?.count ?? 0 },
     try measure { sink &+= try JSONDecoder().decode(Pod.self, from: podData).metadata.name?.count ?? 0 }),
    ("decode watch event ADDED Pod (WatchEvent.decode / JSONDecoder envelope)",
     try measure { sink &+= try WatchEvent<Pod>.decode(eventData).object?.metadata.name?.count ?? 0 },
     try measure { sink &+= try JSONDecoder().decode(FoundationEnvelope.self, from: eventData).object.metadata.name?.count ?? 0 }),
    ("write pod tree to bytes (JSONWriter / JSONSerialization sorted)",
     measure { sink &+= podValue.utf8Bytes().count },
     try measure { sink &+= try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: podData), options: [.sortedKeys]).count }),
    ("encode typed Pod to bytes (JSONValueEncoder + JSONWriter / JSONEncoder)",
     try measure { sink &+= try JSONValueEncoder().encode(pod).utf8Bytes().count },
     try measure { sink &+= try JSONEncoder().encode(pod).count }),
]
print("| operation (\(podData.count)-byte pod) | RuntimeCore µs | Foundation µs | speed-up |")
print("| --- | --- | --- | --- |")
for (name, ours, foundation) in rows {
    print("| \(name) | \(String(format: "%.1f", ours)) | \(String(format: "%.1f", foundation)) | \(String(format: "%.1f", foundation / ours))× |")
}
print("(\(iterations) iterations each, \(ProcessInfo.processInfo.activeProcessorCount) cores; checksum \(sink % 10))")
