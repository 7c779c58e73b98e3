import Foundation
import RuntimeCore

/// Writing one agent's value: the ownership-preserving transactions and what their outcome means.
extension AgentRegistry {
    /// The result of one write attempt, applied back to the entry on the actor.
    enum SyncOutcome: Sendable {
        /// The value is in etcd on `lease`. `takenFrom` is an earlier lease of ours the key was moved off.
        case written(lease: Int64, ttl: Int64, grantedAt: ContinuousClock.Instant, revision: Int64,
                     takenFrom: Int64, registeredAt: Date?)
        /// The key belongs to someone else; retry after `retryIn`.
        case conflict(ownerLease: Int64, retryIn: Duration)
        /// The lease we wrote with is gone; replace it and try again at once.
        case leaseGone
        /// etcd failed; retry with backoff.
        case failed(EtcdError)
    }

    /// Brings etcd in line with the entry: grants a lease when needed and writes the value. Calls for the
    /// same agent while one is running fold into one more pass, so writes never race each other.
    func sync(_ id: String) async {
        entries[id]?.syncScheduled = false
        guard let first = entries[id] else { return }
        if first.syncing {
            entries[id]?.syncAgain = true
            return
        }
        entries[id]?.syncing = true
        var passes = 0
        while let e = entries[id], e.generation == first.generation, !stopped {
            entries[id]?.syncAgain = false
            passes += 1
            await limiter.acquire()
            let outcome = await writeOnce(id, e)
            limiter.release()
            apply(outcome, to: id, generation: e.generation, previousLease: e.lease)
            guard let now = entries[id], now.generation == first.generation, now.syncAgain || (now.needsSync && passes < 3
                && (now.retryAt == nil)) else { break }
        }
        guard let e = entries[id], e.generation == first.generation else { return }
        entries[id]?.syncing = false
        if e.needsSync {
            schedule(e.retryAt ?? .now)
        } else if e.lease != 0 {
            schedule(min(e.nextRenewal, e.leaseDeadline))
        }
    }

    /// One attempt: grant a lease if needed, then write the value in one transaction:
    ///
    /// ```
    /// if lease(key) is one of ours           (our tag: this process's lease or an earlier process's)
    /// then put(key, value, lease, prev_kv)
    /// else if create_revision(key) == 0      (absent)
    ///      then put(key, value, lease)
    ///      else range(key)                   (someone else's: leave it, report who holds it)
    /// ```
    ///
    /// Runs on the actor but suspends for every request; the entry may change meanwhile, so the outcome
    /// is applied against the entry as it is afterwards.
    private func writeOnce(_ id: String, _ e: Entry) async -> SyncOutcome {
        let key = options.keys.agentKey(id)
        var granted: Int64 = 0
        do throws(EtcdError) {
            var lease = e.lease
            var ttl = e.ttl
            var grantedAt = clock.now
            if lease == 0 || e.leaseLost {
                let grant = try await grantTaggedLease(for: id, ttl: Int64(e.descriptor.ttlSeconds))
                granted = grant.id
                lease = grant.id
                ttl = grant.ttl
                grantedAt = clock.now
            }
            var entry = e
            entry.ttl = ttl
            let value = record(of: entry).encoded()
            let r = try await client.txn(EtcdTxnRequest(
                compare: options.ownership.ownedCompares(key: key, agentId: id),
                success: [.put(EtcdPutRequest(key: key, value: value, lease: lease, prevKV: true))],
                failure: [.txn(EtcdTxnRequest(
                    compare: [.absent(key)],
                    success: [.put(EtcdPutRequest(key: key, value: value, lease: lease))],
                    failure: [.range(EtcdRangeRequest(key: key))]))]))
            if r.succeeded {
                let previous = r.responses.first?.putResponse?.prevKV
                let takenFrom = previous.map(\.lease).flatMap { $0 == lease ? nil : $0 } ?? 0
                var registeredAt: Date?
                if !e.everRegistered, takenFrom != 0, let old = previous.flatMap({ try? ParallaxAgentRecord.decode($0.value) }),
                   let at = Timestamp.parse(old.registeredAt), Timestamp.iso8601(at) != Timestamp.iso8601(e.registeredAt)
                {
                    // Taken over from an earlier process: the agent was registered then, not now.
                    registeredAt = at
                }
                return .written(lease: lease, ttl: ttl, grantedAt: grantedAt, revision: r.header.revision,
                                takenFrom: takenFrom, registeredAt: registeredAt)
            }
            guard let nested = r.responses.first?.txnResponse else {
                throw EtcdError.invalidResponse("transaction on \(key) answered without its nested transaction")
            }
            if nested.succeeded {
                return .written(lease: lease, ttl: ttl, grantedAt: grantedAt, revision: r.header.revision,
                                takenFrom: 0, registeredAt: nil)
            }
            let owner = nested.responses.first?.rangeResponse?.kvs.first?.lease ?? 0
            if granted != 0 { try? await client.revokeLease(granted) }
            return .conflict(ownerLease: owner, retryIn: await conflictRetryDelay(owner, ttl: ttl))
        } catch {
            if granted != 0 { retire(granted, giveUpAt: clock.now + .seconds(Double(e.descriptor.ttlSeconds) + 1)) }
            // A put on a lease that expired meanwhile answers NotFound.
            if case .server(let code, _, _) = error, code == GRPCCode.notFound, granted == 0 { return .leaseGone }
            if case .leaseNotFound = error { return .leaseGone }
            return .failed(error)
        }
    }

    /// Grants a lease whose id carries our owner tag; a clash with an existing id retries with new random bits.
    private func grantTaggedLease(for id: String, ttl: Int64) async throws(EtcdError) -> EtcdLeaseGrant {
        var attempt = 0
        while true {
            do throws(EtcdError) {
                return try await client.grantLease(ttl: ttl, id: options.ownership.newLeaseId(for: id))
            } catch {
                if case .server(let code, let message, _) = error, code == GRPCCode.failedPrecondition,
                   message.contains("exists"), attempt < 3
                {
                    attempt += 1
                    continue
                }
                throw error
            }
        }
    }

    /// When to look at a conflicting key again: right after its lease runs out, or after one TTL for a key
    /// without lease (someone wrote it by hand; it stays until someone deletes it).
    private func conflictRetryDelay(_ ownerLease: Int64, ttl: Int64) async -> Duration {
        let fallback = Duration.seconds(max(ttl, 1))
        guard ownerLease != 0, let t = try? await client.leaseTimeToLive(ownerLease), t.exists else { return fallback }
        return .milliseconds(min(t.ttl, 3600) * 1000 + 500)
    }

    /// Folds one outcome into the entry, emits events and schedules what comes next.
    func apply(_ outcome: SyncOutcome, to id: String, generation: Int, previousLease: Int64) {
        guard var e = entries[id], e.generation == generation else {
            // Deregistered while we wrote: whatever lease we just attached must not keep the key alive.
            if case .written(let lease, _, _, _, _, _) = outcome, lease != previousLease {
                retire(lease, giveUpAt: clock.now + .seconds(3600))
            }
            return
        }
        let now = clock.now
        let key = options.keys.agentKey(id)
        switch outcome {
        case .written(let lease, let ttl, let grantedAt, let revision, let takenFrom, let registeredAt):
            let old = e.lease
            if let registeredAt {
                // The value just written carries our registeredAt; write the original one next.
                e.registeredAt = registeredAt
                e.syncAgain = true
            }
            if lease != old {
                e.ttl = ttl
                e.leaseDeadline = grantedAt + .seconds(ttl)
                e.nextRenewal = grantedAt + renewInterval(ttl)
                e.renewing = false
                e.renewFailures = 0
                if old != 0 { retire(old, giveUpAt: e.leaseDeadline) }
            }
            if takenFrom != 0, takenFrom != old { retire(takenFrom, giveUpAt: now + .seconds(3600)) }
            e.lease = lease
            e.leaseLost = false
            e.written = !e.syncAgain
            e.writtenRevision = revision
            e.retryAt = nil
            e.attempt = 0
            let wasRegistered = e.status.isRegistered
            e.status = .registered(lease: lease)
            if !e.everRegistered {
                e.everRegistered = true
                emit(.registered(agentId: id, key: key, lease: lease))
                logger.info("agent registered", ["agentId": .string(id), "key": .string(key), "lease": .string(hex(lease)),
                                                 "takenOver": .bool(takenFrom != 0)])
            } else if lease != old {
                emit(.repaired(agentId: id, oldLease: old, newLease: lease))
                logger.info("agent registration repaired", ["agentId": .string(id), "oldLease": .string(hex(old)),
                                                            "lease": .string(hex(lease))])
            } else {
                emit(.updated(agentId: id, lease: lease))
            }
            entries[id] = e
            if !wasRegistered { countRegistered(e.descriptor.namespace, +1) }
        case .conflict(let owner, let retryIn):
            let changed = e.status != .conflict(ownerLease: owner)
            let wasRegistered = e.status.isRegistered
            // Our lease holds nothing now; revoking it also stops renewals.
            if e.lease != 0 { retire(e.lease, giveUpAt: e.leaseDeadline) }
            e.lease = 0
            e.leaseLost = false
            e.written = false
            e.status = .conflict(ownerLease: owner)
            e.retryAt = now + retryIn
            entries[id] = e
            if changed {
                emit(.conflict(agentId: id, key: key, ownerLease: owner))
                logger.warning("registry key owned by someone else; not overwriting it",
                               ["agentId": .string(id), "key": .string(key), "ownerLease": .string(hex(owner))])
            }
            if wasRegistered { countRegistered(e.descriptor.namespace, -1) }
        case .leaseGone:
            if e.lease != 0, !e.leaseLost {
                emit(.leaseLost(agentId: id, lease: e.lease, reason: "etcd does not know the lease"))
            }
            e.leaseLost = true
            e.syncAgain = true
            entries[id] = e
        case .failed(let error):
            let delay = options.retryBackoff.delay(attempt: e.attempt)
            e.attempt += 1
            e.retryAt = now + delay
            if !e.status.isRegistered || e.leaseLost || e.lease == 0 {
                if e.status.isRegistered { countRegistered(e.descriptor.namespace, -1) }
                e.status = .pending(reason: error.description)
            }
            entries[id] = e
            emit(.failed(agentId: id, reason: error.description))
            logger.warning("registry write failed; retrying", ["agentId": .string(id), "error": .string(error.description),
                                                              "retryInMs": .int(delay.milliseconds)])
        }
    }

    /// Renewal period: a third of the TTL, as the contract says.
    func renewInterval(_ ttl: Int64) -> Duration { .milliseconds(max(ttl, 1) * 1000 / 3) }
}
