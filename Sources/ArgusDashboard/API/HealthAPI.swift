import ArgusCore
import ArgusStore
import ArgusSystem

/// `GET /api/health`: whether the database can be read, and what this dashboard is.
struct HealthAPI: Sendable {
    let pool: ReaderPool
    let feed: LiveFeed
    let stats: StatsIndex
    let version: String
    let startedAt: Int64

    func register(_ router: inout Router) {
        router.add("GET", "/api/health") { _, _ in health() }
    }

    func health() -> HTTPResponse {
        do {
            return try pool.withReader { reader in
                let schema = try reader.schemaVersion()
                return .json([
                    "status": "ok", "version": .string(version), "database": .string(pool.path),
                    "schema_version": .number(String(schema)), "sqlite": .string(SQLiteConnection.libraryVersion),
                    "stats_ready": .bool(stats.isLoaded), "last_call_id": .number(String(feed.lastCallID)),
                    "sse_clients": .int(feed.subscriberCount),
                    "uptime_s": .number(String((SystemClock.wallMicros() - startedAt) / 1_000_000)),
                ])
            }
        } catch {
            return .json(
                [
                    "status": "error", "version": .string(version), "database": .string(pool.path),
                    "error": .string("\(error)"),
                ], status: 503)
        }
    }
}
