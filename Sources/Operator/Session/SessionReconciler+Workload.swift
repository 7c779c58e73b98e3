import Foundation
import KubeClient
import RuntimeCore

/// The objects a session owns: its credentials Secret, its workspace claim and its pod.
extension SessionReconciler {
    /// The Secret is ready, or why it cannot be.
    enum CredentialsOutcome {
        case ready(SecretView)
        case problem(reason: String, message: String)
    }

    /// What happened to the pod.
    struct PodOutcome {
        var pod: PodView?
        var problem: (reason: String, message: String)?
        var requeueAfter: Duration?
    }

    /// Recreating failed pods waits 5 s, doubling per consecutive failure, up to 5 minutes.
    static let podRecreateBackoff = (base: Duration.seconds(5), max: Duration.seconds(300))

    // MARK: Credentials

    /// Creates `<session>-credentials` once, with a fresh supervisor token and the MCP key copied from
    /// `spec.mcp.keySecretRef`; afterwards it is only rewritten when the key reference changes (the token
    /// is kept). The referenced Secret is read from the API (it is not ours, so it is not cached).
    func ensureCredentials(_ s: AgentSession, _ e: EffectiveSession) async throws(ReconcileError) -> CredentialsOutcome {
        let name = CredentialsSecret.name(for: e.name)
        let key = ObjectKey.make(namespace: e.namespace, name: name)
        let existing = d.secrets.get(key)
        if let existing, !SessionLabels.isControlled(existing, by: s) {
            return .problem(reason: "SecretConflict", message: "Secret \(name) exists and is not owned by this session")
        }
        let source = CredentialsSecret.keySource(e.mcpKeyRef)
        if let existing, CredentialsSecret.token(in: existing) != nil,
           existing.metadata.annotations?[SessionLabels.keySource] ?? "" == source {
            return .ready(existing)
        }

        var mcpKey = Data()
        if let ref = e.mcpKeyRef {
            do {
                let src = try await d.client.get(Secret.self, name: ref.name, namespace: e.namespace)
                guard let value = src.data?[ref.key] ?? src.stringData?[ref.key].map({ Data($0.utf8) }) else {
                    return .problem(reason: "KeySecretKeyMissing",
                                    message: "Secret \(ref.name) (spec.mcp.keySecretRef) has no key \(ref.key)")
                }
                mcpKey = value
            } catch let err where err.isNotFound {
                return .problem(reason: "KeySecretNotFound",
                                message: "Secret \(ref.name) (spec.mcp.keySecretRef) does not exist in namespace \(e.namespace)")
            } catch {
                throw Self.failure(error, "reading Secret \(ref.name)")
            }
        }

        if existing != nil {
            // The cache holds no data: read the Secret whole, then write it back with the new key.
            do {
                var secret = try await d.client.get(Secret.self, name: name, namespace: e.namespace)
                let token = CredentialsSecret.token(in: secret) ?? CredentialsSecret.newToken()
                secret.data = (secret.data ?? [:]).merging([CredentialsSecret.mcpKey: mcpKey, CredentialsSecret.tokenKey: Data(token.utf8)]) { $1 }
                secret.metadata.annotations = (secret.metadata.annotations ?? [:]).merging([SessionLabels.keySource: source]) { $1 }
                let updated = SecretView(try await d.client.update(secret))
                d.secrets.wrote(updated)
                return .ready(updated)
            } catch {
                throw Self.failure(error, "updating Secret \(name)")
            }
        }
        let desired = CredentialsSecret.build(session: s, effective: e, mcpAPIKey: mcpKey, token: CredentialsSecret.newToken())
        do {
            let created = try await d.client.create(desired, returning: SecretView.self)
            d.secrets.wrote(created)
            return .ready(created)
        } catch let err where err.isAlreadyExists {
            // The cache was behind: read it and decide on what is really there.
            do {
                let current = SecretView(try await d.client.get(Secret.self, name: name, namespace: e.namespace))
                d.secrets.wrote(current)
                guard SessionLabels.isControlled(current, by: s) else {
                    return .problem(reason: "SecretConflict", message: "Secret \(name) exists and is not owned by this session")
                }
                return .ready(current)
            } catch {
                throw Self.failure(error, "reading Secret \(name)")
            }
        } catch {
            throw Self.failure(error, "creating Secret \(name)")
        }
    }

    // MARK: Workspace claim

    /// For `workspace.size`, creates the claim `<session>-workspace` (owned by the session, so garbage
    /// collection removes it with the session). Created once per process; AlreadyExists is fine.
    func ensureClaim(_ s: AgentSession, _ e: EffectiveSession) async throws(ReconcileError) {
        guard e.workspace.existingClaim.isEmpty, !e.workspace.size.isEmpty, !memory.entry(s.key).claimReady else { return }
        let name = PodBuilder.workspaceClaimName(for: e.name)
        var spec: JSON = ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": .string(e.workspace.size)]]]
        if !e.workspace.storageClassName.isEmpty { spec["storageClassName"] = .string(e.workspace.storageClassName) }
        let owner = (try? JSON(encoding: SessionLabels.ownerReference(to: s))) ?? .null
        let claim: JSON = [
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": ["name": .string(name), "namespace": .string(e.namespace),
                         "labels": (try? JSON(encoding: SessionLabels.labels(for: e))) ?? .null, "ownerReferences": [owner]],
            "spec": spec,
        ]
        do {
            _ = try await d.client.create(PersistentVolumeClaim.resource, claim, namespace: e.namespace)
        } catch let err where err.isAlreadyExists {
            // Ours from an earlier run (or someone else's of the same name, which the pod then uses).
        } catch {
            throw Self.failure(error, "creating PersistentVolumeClaim \(name)")
        }
        memory.update(s.key) { $0.claimReady = true }
    }

    // MARK: Pod

    /// Creates the pod when absent; deletes it (to be recreated on a later pass) when it drifted from
    /// the desired pod or failed, failures with backoff.
    func ensurePod(_ s: AgentSession, _ e: EffectiveSession, credentials: SecretView) async throws(ReconcileError) -> PodOutcome {
        let built = PodBuilder.desired(session: s, effective: e, settings: d.podSettings, credentialsUID: credentials.metadata.uid ?? "")
        let desired = built.pod
        let key = s.key
        var existing = d.pods.get(key)
        if existing == nil {
            do {
                let created = try await d.client.create(Pod.resource, built.body, namespace: e.namespace, returning: PodView.self)
                d.pods.wrote(created)
                d.events.record(ref(s), type: .normal, reason: "PodCreated", message: "created pod \(created.name)")
                return PodOutcome(pod: created)
            } catch let err where err.isAlreadyExists {
                do {
                    existing = PodView(try await d.client.get(Pod.self, name: e.name, namespace: e.namespace))
                    d.pods.wrote(existing!)
                } catch let err2 where err2.isNotFound {
                    return PodOutcome(pod: nil, requeueAfter: .seconds(1))
                } catch {
                    throw Self.failure(error, "reading pod \(e.name)")
                }
            } catch let err where err.isInvalid || err.isBadRequest || err.isForbidden {
                let message = "the API rejected the pod: \(err.message ?? err.description)"
                d.events.record(ref(s), type: .warning, reason: "PodInvalid", message: message)
                return PodOutcome(pod: nil, problem: ("PodInvalid", message))
            } catch {
                throw Self.failure(error, "creating pod \(e.name)")
            }
        }
        guard let pod = existing else { return PodOutcome(pod: nil) }
        guard SessionLabels.isControlled(pod, by: s) else {
            return PodOutcome(pod: nil, problem: ("PodConflict", "a pod named \(pod.name) exists and is not owned by this session"),
                              requeueAfter: .seconds(30))
        }
        if pod.metadata.deletionTimestamp != nil { return PodOutcome(pod: pod, requeueAfter: .seconds(5)) }

        let phase = pod.status?.phase ?? "Pending"
        if phase == "Failed" || phase == "Succeeded" {
            let uid = pod.metadata.uid
            var entry = memory.entry(key)
            if entry.failedPodUID != uid {
                entry.failedPodUID = uid
                entry.podFailures += 1
                entry.failureSeenAt = .now
                memory.update(key) { $0 = entry }
            }
            let wait = ItemExponentialRateLimiter.delay(base: Self.podRecreateBackoff.base, max: Self.podRecreateBackoff.max,
                                                        failures: max(0, entry.podFailures - 1))
            let due = (entry.failureSeenAt ?? .now) + wait
            if ContinuousClock.now < due { return PodOutcome(pod: pod, requeueAfter: due - ContinuousClock.now) }
            let why = pod.status?.message ?? pod.status?.reason ?? "pod \(phase.lowercased())"
            d.events.record(ref(s), type: .warning, reason: "PodFailed",
                            message: "\(why); recreating it (failure \(entry.podFailures))")
            return PodOutcome(pod: try await deletePod(pod), requeueAfter: .seconds(5))
        }
        if pod.status?.isReady == true, memory.entry(key).podFailures > 0 {
            memory.update(key) {
                $0.podFailures = 0
                $0.failedPodUID = nil
            }
        }
        if !PodBuilder.matches(pod, desired) {
            d.events.record(ref(s), type: .normal, reason: "PodRecreated",
                            message: "the desired pod changed (session spec or operator settings); replacing pod \(pod.name)")
            return PodOutcome(pod: try await deletePod(pod), requeueAfter: .seconds(5))
        }
        return PodOutcome(pod: pod)
    }

    /// Deletes a pod (gracefully, preconditioned on its uid); returns what remains (nil when gone).
    func deletePod(_ pod: PodView) async throws(ReconcileError) -> PodView? {
        do {
            let result = try await d.client.delete(Pod.self, name: pod.name, namespace: pod.namespace,
                                                   options: DeleteOptions(preconditionUID: pod.metadata.uid))
            switch result {
            case .deleted:
                d.pods.deleted(pod.key, uid: pod.metadata.uid)
                return nil
            case .object(let full):
                let remaining = PodView(full)
                // An unscheduled pod goes at once and the server answers with its last state.
                if remaining.metadata.deletionTimestamp == nil || remaining.metadata.deletionGracePeriodSeconds == 0 {
                    d.pods.deleted(pod.key, uid: pod.metadata.uid)
                    return nil
                }
                d.pods.wrote(remaining)
                return remaining
            }
        } catch let err where err.isNotFound || err.isConflict {
            // Gone already, or replaced by another pod (uid precondition): the cache will tell.
            d.pods.deleted(pod.key, uid: pod.metadata.uid)
            return nil
        } catch {
            throw Self.failure(error, "deleting pod \(pod.name)")
        }
    }

    /// Removes the agent from the registry and its pod from the cluster (suspend, finish, rejection,
    /// deletion). Returns the pod while it still exists.
    func stopWorkload(_ s: AgentSession) async -> PodView? {
        let key = s.key
        if let id = memory.entry(key).registeredAgentId {
            await d.registrar.deregister(id)
            memory.update(key) {
                $0.registeredAgentId = nil
                $0.pushedHealth = nil
            }
        }
        d.monitor.unwatch(key)
        guard let pod = d.pods.get(key), SessionLabels.isControlled(pod, by: s) else { return nil }
        if pod.metadata.deletionTimestamp != nil { return pod }
        return (try? await deletePod(pod)) ?? pod
    }

    /// `ttlSecondsAfterFinished` ran out: deletes the session (its finalizer then cleans up).
    func deleteFinished(_ s: AgentSession) async throws(ReconcileError) {
        do {
            _ = try await d.client.delete(AgentSession.self, name: s.name, namespace: s.namespace,
                                          options: DeleteOptions(preconditionUID: s.metadata.uid))
            d.logger.info("deleted finished session (ttlSecondsAfterFinished)", ["session": .string(s.key)])
        } catch let err where err.isNotFound || err.isConflict {
            return
        } catch {
            throw Self.failure(error, "deleting finished session")
        }
    }
}
