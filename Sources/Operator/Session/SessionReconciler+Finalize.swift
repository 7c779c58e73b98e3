import Foundation
import KubeClient
import RuntimeCore

/// Deletion: the finalizer `parallax.ai/agent-cleanup` holds the session until its agent is
/// deregistered and its pod is gone; its Secret is deleted on the way (the garbage collector would
/// remove it later anyway, but a credential should not outlive its session by a GC cycle).
extension SessionReconciler {
    /// One pass of a session with a deletion timestamp.
    func finalize(_ s: AgentSession) async throws(ReconcileError) -> ReconcileResult {
        let key = s.key
        guard s.metadata.hasFinalizer(SessionLabels.finalizer) else {
            await forget(key)
            return .done
        }
        d.ledger.release(key: key)
        let pod = await stopWorkload(s)

        let secretName = CredentialsSecret.name(for: s.name)
        if let secret = d.secrets.get(ObjectKey.make(namespace: s.namespace, name: secretName)),
           SessionLabels.isControlled(secret, by: s) {
            do {
                _ = try await d.client.delete(Secret.self, name: secretName, namespace: s.namespace,
                                              options: DeleteOptions(preconditionUID: secret.metadata.uid))
                d.secrets.deleted(secret.key, uid: secret.metadata.uid)
            } catch let err where err.isNotFound || err.isConflict {
                d.secrets.deleted(secret.key, uid: secret.metadata.uid)
            } catch {
                throw Self.failure(error, "deleting Secret \(secretName)")
            }
        }

        if let pod {
            // The pod's deletion event brings the session back; the requeue is a safety net.
            var inputs = StatusInputs(session: s, now: Date())
            inputs.pod = pod
            try await writeStatus(s, inputs, effective: nil)
            return .after(.seconds(5))
        }

        let rest = (s.metadata.finalizers ?? []).filter { $0 != SessionLabels.finalizer }
        let patch: JSON = ["metadata": ["finalizers": rest.isEmpty ? .null : .array(rest.map(JSON.string)),
                                        "resourceVersion": .string(s.metadata.resourceVersion ?? "")]]
        do {
            let updated = try await d.client.patch(AgentSession.self, name: s.name, namespace: s.namespace, .merge(patch))
            d.sessions.wrote(updated)
        } catch let err where err.isNotFound {
            // Already gone.
        } catch {
            throw Self.failure(error, "removing the finalizer")
        }
        d.logger.info("session cleaned up", ["session": .string(key)])
        await forget(key)
        return .done
    }

    /// The session is gone from the API: drop everything this process holds for it (a registration the
    /// finalizer could not remove, because someone removed the finalizer by hand, is removed here).
    func forget(_ key: String) async {
        d.ledger.release(key: key)
        d.monitor.unwatch(key)
        d.metrics?.forget(key: key)
        if let entry = memory.remove(key), let id = entry.registeredAgentId {
            await d.registrar.deregister(id)
        }
    }
}
