import ArgusCore
import ArgusStore

/// The live feed: `GET /api/events` (server-sent events, resumable with `Last-Event-ID`),
/// `POST /api/notify` (look now; `argus wrap --api` sends it) and the feed's status.
struct EventsAPI: Sendable {
    let pool: ReaderPool
    let feed: LiveFeed

    func register(_ router: inout Router) {
        router.add("GET", "/api/events") { request, _ in events(request) }
        router.add("POST", "/api/notify") { _, _ in
            feed.nudge(external: true)
            return .json(["ok": true], status: 202)
        }
        router.add("GET", "/api/sse/status") { _, _ in .json(feed.statusJSON) }
    }

    /// A reconnecting client further behind than this reloads instead (a `reset`).
    static let maxBacklog = 20_000

    /// `GET /api/events`: server-sent events. A reconnecting client sends
    /// `Last-Event-ID` and first receives every change after it, then the live ones.
    func events(_ request: HTTPRequest) -> HTTPResponse {
        let lastID = (request.header("last-event-id") ?? request.query("last_event_id")).flatMap { Int64($0) }
        let feed = self.feed, pool = self.pool
        return HTTPResponse(
            status: 200,
            headers: [
                ("content-type", "text/event-stream; charset=utf-8"), ("cache-control", "no-store"),
                ("x-accel-buffering", "no"),
            ],
            body: .stream { writer in
                // Subscribed before the backlog is read (and only once the stream is really open, not for HEAD):
                // a change is then in the backlog, in the subscription, or in both (sent once, by id).
                let subscription = feed.subscribe()
                defer { feed.unsubscribe(subscription) }
                var hello = "retry: 2000\n: argus dashboard event stream\n\n"
                hello += String(
                    decoding: FeedEvent(name: "hello", id: nil, data: ["last_event_id": .number(String(feed.lastEventID))]).wire,
                    as: UTF8.self)
                guard writer.write(hello) else { return }
                var sent = lastID ?? 0
                if let lastID {
                    guard let backlog = Self.backlog(after: lastID, pool: pool) else { return }
                    for event in backlog {
                        guard writer.write(event.wire) else { return }
                        if let id = event.id { sent = id }
                    }
                }
                while !writer.isServerStopping {
                    guard let events = subscription.next(timeout: 15) else { return }
                    if events.isEmpty {
                        guard writer.write(": keep-alive\n\n") else { return }
                        continue
                    }
                    var bytes: [UInt8] = []
                    for event in events {
                        if let id = event.id {
                            guard id > sent else { continue }  // already sent from the backlog
                            sent = id
                        }
                        bytes += event.wire
                    }
                    if !bytes.isEmpty { guard writer.write(bytes) else { return } }
                }
            })
    }

    /// The events after `lastID`, read from the database; a single `reset` when that is too far back
    /// (older than the changes kept) or not from this database at all (ahead of it); nil when the
    /// database cannot be read.
    static func backlog(after lastID: Int64, pool: ReaderPool) -> [FeedEvent]? {
        try? pool.withReader { reader in
            let range = try reader.feedRange()
            if lastID < range.oldest - 1 || lastID > range.newest {
                return [FeedEvent(name: "reset", id: range.newest, data: ["reason": "the missed changes are not in this database"])]
            }
            var events: [FeedEvent] = []
            var position = lastID
            while true {
                let window = try FeedWindow.read(after: position, limit: LiveFeed.windowSize, from: reader)
                events += window.events
                position = window.through
                if window.complete { return events }
                if events.count > maxBacklog {
                    return [FeedEvent(name: "reset", id: range.newest, data: ["reason": "too many missed events"])]
                }
            }
        }
    }
}
