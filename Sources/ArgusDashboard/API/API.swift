import ArgusCore
import ArgusStore

/// The REST API and the SSE stream, one type per resource (Docs/API.md describes every
/// endpoint). Handlers throw `HTTPError` for what the request got wrong; `ErrorMiddleware`
/// answers it.
struct API: Sendable {
    let pool: ReaderPool
    let feed: LiveFeed
    let stats: StatsIndex
    let replay: ReplayService
    let version: String
    let startedAt: Int64
    /// Thresholds and scripts for `GET /api/runs/:id/verdicts`.
    var verdicts = VerdictsAPI.Settings()

    func register(_ router: inout Router) {
        HealthAPI(pool: pool, feed: feed, stats: stats, version: version, startedAt: startedAt).register(&router)
        RunsAPI(pool: pool, feed: feed, stats: stats, replay: replay).register(&router)
        CallsAPI(pool: pool, feed: feed, stats: stats, replay: replay).register(&router)
        StatsAPI(pool: pool, feed: feed, stats: stats).register(&router)
        ScriptsAPI(pool: pool).register(&router)
        TelemetryAPI(pool: pool).register(&router)
        EventsAPI(pool: pool, feed: feed).register(&router)
        VerdictsAPI(pool: pool, settings: verdicts).register(&router)
    }

    /// After a delete: the stats are counted again before answering, so the caller's next read of
    /// them agrees; SSE clients get a `reset` from the feed, which sees the deletion in feed_changes.
    static func recount(pool: ReaderPool, stats: StatsIndex, feed: LiveFeed) throws {
        try pool.withReader { try stats.load(from: $0) }
        feed.nudge()
    }
}
