import ArgusCore
import ArgusStore
import Foundation

/// What Lua scripts produced: their status and errors, the alerts they raised, the metrics they derived.
struct ScriptsAPI: Sendable {
    let pool: ReaderPool

    func register(_ router: inout Router) {
        router.add("GET", "/api/scripts") { _, _ in try scripts() }
        router.add("GET", "/api/alerts") { request, _ in try alerts(request) }
        router.add("GET", "/api/metrics") { request, _ in try metrics(request) }
    }

    func scripts() throws -> HTTPResponse {
        try pool.withReader { reader in
            let statuses = try reader.scriptStatuses()
            let errors = try reader.scriptOutputs(kind: .error, limit: 50)
            return .json([
                "scripts": .array(
                    statuses.map { status in
                        guard case .object(var o) = status.json else { return status.json }
                        // A status row whose process is gone is history, not a live script.
                        o["live"] = .bool(kill(pid_t(status.argusPID), 0) == 0 || errno == EPERM)
                        return .object(o)
                    }), "errors": .array(errors.map(\.json)),
            ])
        }
    }

    func alerts(_ request: HTTPRequest) throws -> HTTPResponse {
        let limit = try request.limit()
        let run = try request.integer("run")
        let cursor = try request.integer("cursor")
        let rows = try pool.withReader {
            try $0.scriptOutputs(kind: .alert, script: request.query("script"), run: run, limit: limit, beforeID: cursor)
        }
        return .page(rows, limit: limit, key: "alerts", id: \.id, json: \.json)
    }

    /// Metric series with their summary and recent samples (for charts).
    func metrics(_ request: HTTPRequest) throws -> HTTPResponse {
        let since = try request.time("since")
        let name = request.query("name")
        return try pool.withReader { reader in
            let series = try reader.metrics(name: name, script: request.query("script"), since: since)
            let samples = try reader.scriptOutputs(kind: .metric, script: request.query("script"), limit: 1000)
            var bySeries: [String: [JSONValue]] = [:]
            for sample in samples.reversed() where name == nil || sample.name == name {
                let key = "\(sample.script)\u{0}\(sample.name ?? "")\u{0}\(sample.labels ?? "{}")"
                bySeries[key, default: []].append([
                    "t": .string(TimeFormat.iso8601(micros: sample.timestamp)),
                    "value": sample.value.map(JSONValue.double) ?? .null,
                ])
            }
            return .json([
                "metrics": .array(
                    series.map { s in
                        guard case .object(var o) = s.json else { return s.json }
                        o["samples"] = .array(bySeries["\(s.script)\u{0}\(s.name)\u{0}\(s.labels)"] ?? [])
                        return .object(o)
                    })
            ])
        }
    }
}
