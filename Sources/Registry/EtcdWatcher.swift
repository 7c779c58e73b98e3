import Foundation
import RuntimeCore

/// What a self-healing watch reports.
public enum EtcdWatchUpdate: Sendable, Equatable {
    /// The complete current contents of the watched range at `revision`. Sent first when the watch started
    /// without a revision, and again whenever history was compacted away while we were behind: the
    /// receiver replaces its state with this.
    case snapshot([EtcdKeyValue], revision: Int64)
    /// Changes, in order; `revision` is the revision of the last one.
    case events([EtcdWatchEvent], revision: Int64)
    /// Nothing changed up to `revision` (a progress notification).
    case progress(revision: Int64)
    /// The stream broke; the watch reconnects after `retryIn` and resumes where it was.
    case interrupted(reason: String, retryIn: Duration)
    /// The watch gave up on an error that retrying cannot fix (TLS, configuration, credentials); the
    /// sequence ends after this.
    case failed(reason: String)
}

extension EtcdClient {
    /// A watch that survives reconnects and compaction.
    ///
    /// - With `request.startRevision == 0` it first reads the range (``EtcdWatchUpdate/snapshot(_:revision:)``)
    ///   and watches from the revision after the read, so nothing is missed between the two.
    /// - After a disconnect it reconnects with backoff and resumes from the revision after the last one
    ///   it delivered, so events are neither lost nor repeated.
    /// - When etcd answers that the resume revision was compacted, it reads the range again, sends a new
    ///   snapshot, and watches from there.
    /// - An invalid auth token (etcd cancels the watch) fetches a new token and reconnects.
    ///
    /// The sequence ends when the consumer stops iterating (the task is cancelled) or on a non-transient
    /// error that retrying cannot fix (``EtcdWatchUpdate/failed(reason:)``).
    public func watch(_ request: EtcdWatchRequest, backoff: RetryBackoff = .watch) -> AsyncStream<EtcdWatchUpdate> {
        let (stream, continuation) = AsyncStream<EtcdWatchUpdate>.makeStream(bufferingPolicy: .unbounded)
        let task = Task { [self] in
            await self.runWatch(request, backoff: backoff, continuation)
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func runWatch(_ request: EtcdWatchRequest, backoff: RetryBackoff,
                          _ out: AsyncStream<EtcdWatchUpdate>.Continuation) async
    {
        var next = request.startRevision  // the first revision not yet delivered; 0 = read first
        var attempt = 0
        while !Task.isCancelled {
            do {
                if next == 0 {
                    let snapshot = try await range(EtcdRangeRequest(key: request.key, rangeEnd: request.rangeEnd))
                    out.yield(.snapshot(snapshot.kvs, revision: snapshot.header.revision))
                    next = snapshot.header.revision + 1
                }
                var create = request
                create.startRevision = next
                let stream = try await openWatch(create)
                defer { stream.cancel() }
                for try await message in stream.responses {
                    attempt = 0
                    if message.compactRevision > 0 {
                        // Our resume point is gone: re-read and start over from the snapshot.
                        next = 0
                        break
                    }
                    if message.canceled {
                        if message.cancelReason.contains("auth token") { _ = try? await authToken(rejecting: currentToken) }
                        throw EtcdError.server(code: GRPCCode.cancelled,
                                               message: "watch cancelled: \(message.cancelReason)", httpStatus: 200)
                    }
                    if !message.events.isEmpty {
                        let last = message.events.map(\.kv.modRevision).max() ?? message.header.revision
                        out.yield(.events(message.events, revision: last))
                        next = max(next, last + 1)
                    } else if message.isProgressNotification, message.header.revision > 0 {
                        out.yield(.progress(revision: message.header.revision))
                        next = max(next, message.header.revision + 1)
                    }
                }
                if next == 0 { continue }
                if Task.isCancelled { return }
                throw EtcdError.unavailable(endpoints: [stream.endpoint], reason: "watch stream ended")
            } catch {
                if Task.isCancelled { return }
                let reason = String(describing: error)
                if let e = error as? EtcdError {
                    switch e {
                    case .tls, .invalidConfiguration, .authenticationFailed, .permissionDenied:
                        out.yield(.failed(reason: reason))
                        return
                    case .compacted:
                        next = 0
                        continue
                    case .cancelled:
                        return
                    default: break
                    }
                }
                let delay = backoff.delay(attempt: attempt)
                attempt += 1
                out.yield(.interrupted(reason: reason, retryIn: delay))
                try? await Task.sleep(for: delay)
            }
        }
    }
}
