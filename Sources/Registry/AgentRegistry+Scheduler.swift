import Foundation
import RuntimeCore

/// The single scheduler loop: batched lease renewals, retries, lost-lease detection, revocations, and
/// the watch that notices keys changed behind our back.
extension AgentRegistry {
    /// Runs until ``shutdown(revokeLeases:)``: do what is due, sleep until the next thing is due or
    /// someone pokes.
    func runLoop() async {
        while !stopped, !Task.isCancelled {
            let next = tick()
            plannedWake = next
            await wakeup.wait(until: next)
            plannedWake = .now
        }
    }

    /// One pass over all entries. Cheap (no I/O, O(agents)); the work it finds runs in child tasks.
    func tick() -> ContinuousClock.Instant {
        let now = clock.now
        var next = now + .seconds(5)
        var due: [(id: String, lease: Int64)] = []
        for (id, e) in entries {
            if e.syncing || e.syncScheduled { continue }
            if e.lease != 0, !e.leaseLost, now >= e.leaseDeadline {
                // Not renewed within the TTL: etcd may already have dropped the lease and the key.
                entries[id]?.leaseLost = true
                entries[id]?.retryAt = nil
                metrics.keepaliveFailed()
                emit(.leaseLost(agentId: id, lease: e.lease, reason: "not renewed within its TTL of \(e.ttl)s"))
                logger.warning("lease not renewed within its TTL; replacing it",
                               ["agentId": .string(id), "lease": .string(hex(e.lease))])
                spawnSync(id)
                continue
            }
            if e.needsSync {
                if let at = e.retryAt, at > now {
                    next = min(next, at)
                } else {
                    spawnSync(id)
                }
                if e.lease == 0 || e.leaseLost { continue }
            }
            guard !e.renewing else { continue }
            let window = Duration.milliseconds(Int64(Double(e.ttl * 1000) * options.coalesceFraction))
            if e.nextRenewal <= now + window {
                due.append((id, e.lease))
                entries[id]?.renewing = true
            } else {
                next = min(next, e.nextRenewal)
            }
            next = min(next, e.leaseDeadline)
        }
        if !due.isEmpty {
            let size = options.keepaliveBatchSize
            for start in stride(from: 0, to: due.count, by: size) {
                let batch = Array(due[start..<min(start + size, due.count)])
                Task { await self.renew(batch) }
            }
        }
        if !retiring.isEmpty {
            if !retiringInFlight {
                retiringInFlight = true
                Task { await self.revokeRetiring() }
            }
            next = min(next, now + .seconds(1))
        }
        return next
    }

    private func spawnSync(_ id: String) {
        entries[id]?.syncScheduled = true
        Task { await self.sync(id) }
    }

    /// Renews one batch with a single keepalive request and files the answers.
    func renew(_ batch: [(id: String, lease: Int64)]) async {
        await limiter.acquire()
        let sentAt = clock.now
        let result: Result<[Int64: Int64], EtcdError>
        do throws(EtcdError) {
            result = .success(try await client.keepAlive(leases: batch.map(\.lease)))
        } catch {
            result = .failure(error)
        }
        limiter.release()
        let now = clock.now
        var failures = 0
        for (id, lease) in batch {
            guard var e = entries[id], e.lease == lease else { continue }
            e.renewing = false
            let ttl: Int64? = (try? result.get()).flatMap { $0[lease] }
            if let ttl, ttl > 0 {
                // Measured from when the request left: etcd's expiry can only be later than this.
                e.leaseDeadline = sentAt + .seconds(ttl)
                e.nextRenewal = sentAt + renewInterval(ttl)
                e.renewFailures = 0
            } else if ttl != nil {
                failures += 1
                if !e.leaseLost {
                    emit(.leaseLost(agentId: id, lease: lease, reason: "etcd no longer knows the lease"))
                    logger.warning("lease lost; replacing it", ["agentId": .string(id), "lease": .string(hex(lease))])
                }
                e.leaseLost = true
                e.retryAt = nil
                entries[id] = e
                spawnSync(id)
                continue
            } else {
                failures += 1
                e.renewFailures += 1
                // Retry soon: several tries must fit in what is left of the TTL.
                let backoff = options.retryBackoff.delay(attempt: e.renewFailures - 1)
                let cap = Duration.milliseconds(max(e.ttl * 1000 / 6, 100))
                e.nextRenewal = now + min(backoff, cap)
                if e.renewFailures == 1 {
                    let reason = result.failureDescription ?? "no answer for the lease"
                    emit(.failed(agentId: id, reason: "lease renewal failed: \(reason)"))
                }
            }
            entries[id] = e
        }
        var earliest = now + .seconds(5)
        for (id, lease) in batch {
            if let e = entries[id], e.lease == lease { earliest = min(earliest, e.nextRenewal) }
        }
        if failures > 0 {
            metrics.keepaliveFailed(failures)
            if case .failure(let error) = result {
                logger.warning("lease renewal failed", ["leases": .int(Int64(batch.count)), "error": .string(error.description)])
            }
        }
        schedule(earliest)
    }

    // MARK: Revocation

    /// Revokes a lease now; on failure keeps retrying in the background until `giveUpAt`, after which
    /// the lease has expired by itself (nobody renews it).
    func revoke(_ lease: Int64, giveUpAt: ContinuousClock.Instant) async {
        do throws(EtcdError) {
            try await client.revokeLease(lease)
        } catch {
            if case .leaseNotFound = error { return }
            retire(lease, giveUpAt: giveUpAt)
            logger.warning("lease revoke failed; retrying in the background",
                           ["lease": .string(hex(lease)), "error": .string(error.description)])
        }
    }

    /// Queues a lease for revocation by the scheduler.
    func retire(_ lease: Int64, giveUpAt: ContinuousClock.Instant) {
        guard lease != 0 else { return }
        retiring[lease] = max(retiring[lease] ?? giveUpAt, giveUpAt)
        schedule(.now)
    }

    private func revokeRetiring() async {
        let now = clock.now
        let leases = retiring.filter { $0.value > now }.map(\.key)
        for (lease, until) in retiring where until <= now { _ = until; retiring.removeValue(forKey: lease) }
        for lease in leases {
            await limiter.acquire()
            let outcome: Bool
            do throws(EtcdError) {
                try await client.revokeLease(lease)
                outcome = true
            } catch {
                if case .leaseNotFound = error { outcome = true } else { outcome = false }
            }
            limiter.release()
            if outcome { retiring.removeValue(forKey: lease) }
        }
        retiringInFlight = false
    }

    // MARK: Watching our keys

    /// One watch over the agents prefix. A key of ours deleted or overwritten by someone else (not by an
    /// expiry we already handle) makes the entry write again; the write transaction then decides whether
    /// the key is still ours to write.
    func watchOurKeys() async {
        let request = EtcdWatchRequest.prefix(options.keys.agentsPrefix)
        for await update in client.watch(request) {
            if stopped { return }
            switch update {
            case .events(let events, _):
                for event in events { noticeChange(event) }
            case .snapshot(let kvs, let revision):
                watchedFromRevision = revision
                let present = Dictionary(kvs.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
                for (id, e) in entries where e.status.isRegistered && !e.syncing {
                    let kv = present[options.keys.agentKey(id)]
                    if kv == nil || kv?.lease != e.lease { markUnwritten(id) }
                }
            case .progress, .interrupted, .failed:
                break
            }
        }
    }

    private func noticeChange(_ event: EtcdWatchEvent) {
        guard let id = options.keys.agentId(fromKey: event.kv.key), let e = entries[id], e.status.isRegistered
        else { return }
        if event.kv.modRevision <= e.writtenRevision { return }
        switch event.kind {
        case .put where event.kv.lease == e.lease: return
        default: markUnwritten(id)
        }
    }

    private func markUnwritten(_ id: String) {
        guard var e = entries[id] else { return }
        e.written = false
        e.retryAt = nil
        entries[id] = e
        logger.info("registry key changed by someone else; checking it", ["agentId": .string(id)])
        schedule(.now)
    }
}

extension Result where Failure == EtcdError {
    var failureDescription: String? {
        if case .failure(let e) = self { return e.description }
        return nil
    }
}
