import ArgusCore
import ArgusStore

/// Latency and error figures: `GET /api/stats` for the page, `GET /metrics` for Prometheus.
struct StatsAPI: Sendable {
    let pool: ReaderPool
    let feed: LiveFeed
    let stats: StatsIndex

    func register(_ router: inout Router) {
        router.add("GET", "/api/stats") { request, _ in try statsJSON(request) }
        router.add("GET", "/metrics") { _, _ in prometheus() }
    }

    func statsJSON(_ request: HTTPRequest) throws -> HTTPResponse {
        let run = try request.integer("run")
        let since = try request.time("since")
        let server = request.filter("server")
        let includeReplays = request.includesReplays
        // The in-memory index holds real traffic only.
        if run == nil && since == nil && !includeReplays && stats.isLoaded {
            return .json(stats.statsJSON(server: server))
        }
        // A run, a time window, or replays included: computed exactly from the matching calls.
        return try pool.withReader { reader in
            let tools = try reader.stats(run: run, server: server, since: since, excludeReplays: !includeReplays)
            var servers: [String: (count: Int, errors: Int)] = [:]
            for t in tools {
                servers[t.server, default: (0, 0)].count += t.count
                servers[t.server, default: (0, 0)].errors += t.errors
            }
            let serverRows: [JSONValue] = servers.sorted { $0.key < $1.key }.map { name, totals in
                [
                    "server": .string(name), "name": .string(name), "kind": "server", "count": .int(totals.count),
                    "errors": .int(totals.errors),
                    "error_rate": .double(totals.count == 0 ? 0 : Double(totals.errors) / Double(totals.count)),
                ]
            }
            return .json([
                "exact": true, "tools": .array(tools.map(\.json)), "servers": .array(serverRows),
                "timeline": ["bucket_seconds": 60, "points": []],
            ])
        }
    }

    func prometheus() -> HTTPResponse {
        let text = stats.prometheus(
            extra: [
                ("argus_dashboard_sse_clients", "Connected SSE clients.", "gauge", Double(feed.subscriberCount)),
                ("argus_dashboard_last_call_id", "The newest call id seen.", "gauge", Double(feed.lastCallID)),
            ] + TelemetryAPI.prometheusTotals(pool: pool))
        return .text(text, contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}
