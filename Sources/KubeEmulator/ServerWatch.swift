import Foundation
import RuntimeCore

extension EmulatorServer {
    /// Streams a watch as newline-delimited JSON events in a chunked response, like the apiserver.
    ///
    /// The loop wakes at least once a second to send bookmarks, notice a departed client, the request's
    /// `timeoutSeconds`, server shutdown and injected watch drops.
    func serveWatch(_ req: HTTPRequest, _ p: ResourcePath, _ w: HTTPResponseWriter) {
        let query = Dictionary(req.queryItems.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
        let options = WatchOptions(query: query)
        let table = tableRequest(req)
        let subscription: WatchSubscription
        do {
            subscription = try store.watch(p.resource, namespace: p.namespace, options: options)
        } catch {
            if error.code == 410 {
                // The apiserver answers a too-old resourceVersion with 200 and a single ERROR event.
                w.startStream(headers: [("Content-Type", "application/json")])
                w.write(WatchEvent.error(error).json.serialized() + "\n")
                w.finish()
            } else {
                w.send(statusResponse(error))
            }
            return
        }
        defer { subscription.cancel() }

        let started = ContinuousClock.now
        // Without timeoutSeconds the apiserver picks 30-60 minutes; so do we.
        let timeout: Duration = Int(query["timeoutSeconds"] ?? "").map { .seconds($0) } ?? .seconds(Int.random(in: 1800...3600))
        let epoch = faults.watchEpoch
        var lastBookmark = started
        var sent = 0
        w.startStream(headers: [("Content-Type", "application/json")])

        while !w.isServerStopping {
            let now = ContinuousClock.now
            if now - started >= timeout { break }
            let f = faults.settings
            if faults.watchEpoch != epoch { break }
            if f.dropWatchesAfterSeconds > 0, now - started >= .milliseconds(Int64(f.dropWatchesAfterSeconds * 1000)) { break }
            if f.dropWatchesAfterEvents > 0, sent >= f.dropWatchesAfterEvents { break }

            if let event = subscription.next(timeout: .seconds(1)) {
                var out = event
                if let table, event.type != .bookmark, event.type != .error {
                    out.object = TableRenderer(resource: subscription.resource).table(object: event.object, includeObject: table)
                }
                guard w.write(out.json.serialized() + "\n") else { return }
                sent += 1
                if event.type == .bookmark { lastBookmark = ContinuousClock.now }
                continue
            }
            if subscription.isClosed { break }
            if options.allowBookmarks, ContinuousClock.now - lastBookmark >= configuration.bookmarkInterval {
                guard w.write(subscription.bookmark().json.serialized() + "\n") else { return }
                lastBookmark = ContinuousClock.now
            } else if ContinuousClock.now - lastBookmark >= .seconds(10) {
                // A bare newline between events is ignored by JSON stream decoders; writing it is how a
                // quiet watch finds out that its client has gone, so the thread is freed.
                guard w.write("\n") else { return }
                lastBookmark = ContinuousClock.now
            }
        }
        w.finish()
    }
}
