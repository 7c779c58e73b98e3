"""The peer of agent-operator in bench/operator/run.sh: a kopf (Python) operator doing the same happy-path
work for every AgentSession — a credentials Secret with a fresh supervisor token, the agent pod (same
containers, probes, volumes and security context as PodBuilder, owned by the session), and a status patch
with phase and observedGeneration.

Run by run.sh as:  kopf run --standalone --all-namespaces bench/operator/kopf_peer.py
with KUBECONFIG pointing at the emulator (plain HTTP, no credentials: the kubernetes client accepts it).
Peering is off (--standalone) because there is one instance; kopf's own finalizer, progress annotations
and Events stay on, as in a default kopf deployment.
"""
import secrets

import kopf
import kubernetes

GROUP, VERSION, PLURAL = "parallax.ai", "v1alpha1", "agentsessions"
RUNTIME_MOUNT = "/agent-runtime"
api = None


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_):
    global api
    kubernetes.config.load_kube_config()
    cfg = kubernetes.client.Configuration.get_default_copy()
    # As many connections as handler threads, so the thread pool is not queued on urllib3's pool.
    cfg.connection_pool_maxsize = 32
    api = kubernetes.client.CoreV1Api(kubernetes.client.ApiClient(cfg))
    settings.execution.max_workers = 16  # agent-operator's --max-concurrent-reconciles in run.sh
    settings.posting.level = 20  # INFO: handler-success Events are posted, like the operator's Events
    settings.watching.server_timeout = 300


def owner(body):
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "AgentSession", "name": body["metadata"]["name"],
            "uid": body["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}


def pod_for(name, namespace, spec, body):
    hardened = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                "capabilities": {"drop": ["ALL"]}}
    probe = lambda path, delay: {"httpGet": {"path": path, "port": "supervisor"}, "initialDelaySeconds": delay,
                                 "periodSeconds": 10, "timeoutSeconds": 2, "failureThreshold": 3}
    labels = {"app.kubernetes.io/name": "agent-session", "app.kubernetes.io/managed-by": "kopf-peer",
              "parallax.ai/session": name, "parallax.ai/agent-type": spec.get("agentType", "")}
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels, "ownerReferences": [owner(body)],
                     "annotations": {"parallax.ai/agent-id": f"{namespace}-{name}"}},
        "spec": {
            "initContainers": [{
                "name": "install-supervisor", "image": "agent-runtime/supervisor:latest",
                "command": ["cp", "-R", "/opt/agent-runtime/.", RUNTIME_MOUNT + "/"],
                "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}, "requests": {"cpu": "10m", "memory": "16Mi"}},
                "volumeMounts": [{"name": "agent-runtime", "mountPath": RUNTIME_MOUNT}], "securityContext": hardened}],
            "containers": [{
                "name": "agent", "image": spec.get("image") or f"agent-runtime/{spec.get('agentType', 'codex')}:latest",
                "command": [RUNTIME_MOUNT + "/agent-supervisor"],
                "args": ["--agent-type", spec.get("agentType", ""), "--restart-policy", "OnFailure", "--"],
                "workingDir": "/workspace",
                "env": [{"name": "SUPERVISOR_TOKEN", "valueFrom": {"secretKeyRef": {
                    "name": name + "-credentials", "key": "supervisor-token"}}},
                    {"name": "WORKSPACE_ID", "value": spec.get("workspaceId", "")}],
                "ports": [{"name": "supervisor", "containerPort": 8080, "protocol": "TCP"}],
                "volumeMounts": [{"name": "agent-runtime", "mountPath": RUNTIME_MOUNT},
                                 {"name": "workspace", "mountPath": "/workspace"}],
                "livenessProbe": probe("/healthz", 5), "readinessProbe": probe("/readyz", 0),
                "securityContext": hardened}],
            "volumes": [{"name": "agent-runtime", "emptyDir": {}}, {"name": "workspace", "emptyDir": {}}],
            "restartPolicy": "Always", "automountServiceAccountToken": False, "enableServiceLinks": False,
            "securityContext": {"runAsUser": 1000, "runAsGroup": 1000, "runAsNonRoot": True, "fsGroup": 1000,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "terminationGracePeriodSeconds": 30,
        },
    }


@kopf.on.create(GROUP, VERSION, PLURAL)
def create_session(name, namespace, spec, body, meta, patch, **_):
    secret = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
              "metadata": {"name": name + "-credentials", "namespace": namespace, "ownerReferences": [owner(body)]},
              "stringData": {"supervisor-token": secrets.token_hex(32), "mcp-api-key": ""}}
    for create, obj in ((api.create_namespaced_secret, secret), (api.create_namespaced_pod, pod_for(name, namespace, spec, body))):
        try:
            create(namespace, obj)
        except kubernetes.client.ApiException as e:
            if e.status != 409:  # already there from an earlier attempt: keep it
                raise
    patch.status["phase"] = "Pending"
    patch.status["observedGeneration"] = meta.get("generation", 1)
