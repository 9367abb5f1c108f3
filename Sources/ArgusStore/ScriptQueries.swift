import ArgusCore

public struct ScriptOutputRow: Sendable {
    public var id: Int64
    public var runID: Int64?
    public var callID: Int64?
    public var server: String?
    public var tool: String?
    public var timestamp: Int64
    public var script: String
    public var kind: String
    public var level: String?
    public var name: String?
    public var metricKind: String?
    public var value: Double?
    public var labels: String?
    public var message: String?
    public var key: String?
    public var location: String?

    public var json: JSONValue {
        var o: JSONObject = ["id": .number(String(id)), "script": .string(script), "kind": .string(kind),
                             "time": .string(TimeFormat.iso8601(micros: timestamp)), "time_us": .number(String(timestamp))]
        o["run_id"] = runID.map { .number(String($0)) } ?? .null
        o["call_id"] = callID.map { .number(String($0)) } ?? .null
        o["server"] = server.map(JSONValue.string) ?? .null
        o["tool"] = tool.map(JSONValue.string) ?? .null
        if let level { o["level"] = .string(level) }
        if let name { o["name"] = .string(name) }
        if let metricKind { o["metric_kind"] = .string(metricKind) }
        if let value { o["value"] = .double(value) }
        if let labels { o["labels"] = (try? JSONParser.parse(labels)) ?? .string(labels) }
        if let message { o["message"] = .string(message) }
        if let key { o["key"] = .string(key) }
        if let location { o["location"] = .string(location) }
        return .object(o)
    }
}

/// A metric summarised over its samples.
public struct MetricSeries: Sendable {
    public var script: String
    public var name: String
    public var kind: String
    public var labels: String
    public var count: Int
    public var sum: Double
    public var min: Double
    public var max: Double
    public var last: Double
    public var lastAt: Int64
    public var p50: Double?
    public var p95: Double?

    public var json: JSONValue {
        var o: JSONObject = ["script": .string(script), "name": .string(name), "kind": .string(kind),
                             "labels": (try? JSONParser.parse(labels)) ?? [:], "count": .int(count), "sum": .double(sum),
                             "min": .double(min), "max": .double(max), "last": .double(last),
                             "last_at": .string(TimeFormat.iso8601(micros: lastAt))]
        if let p50 { o["p50"] = .double(p50) }
        if let p95 { o["p95"] = .double(p95) }
        return .object(o)
    }
}

public struct ScriptStatusRow: Sendable {
    public var script: String
    public var argusPID: Int64
    public var path: String
    public var server: String
    public var state: String
    public var lastError: String?
    public var hookStats: String
    public var errorCount: Int64
    public var loadedAt: Int64
    public var updatedAt: Int64

    public var json: JSONValue {
        ["script": .string(script), "argus_pid": .number(String(argusPID)), "path": .string(path), "server": .string(server),
         "state": .string(state), "last_error": lastError.map(JSONValue.string) ?? .null,
         "hooks": (try? JSONParser.parse(hookStats)) ?? [:], "error_count": .number(String(errorCount)),
         "loaded_at": loadedAt > 0 ? .string(TimeFormat.iso8601(micros: loadedAt)) : .null,
         "updated_at": .string(TimeFormat.iso8601(micros: updatedAt))]
    }
}

extension ArgusReader {
    /// Alerts, metric samples, logs or errors from scripts, newest first. With `afterID`,
    /// the `limit` oldest ones after it (still newest first), so a reader can page forward.
    public func scriptOutputs(kind: String?, script: String? = nil, run: Int64? = nil, requestSeq: Int64? = nil, limit: Int = 100,
                              beforeID: Int64? = nil, afterID: Int64? = nil) throws -> [ScriptOutputRow] {
        var conditions = Conditions()
        conditions.add("o.kind = ?", ifSet: kind)
        conditions.add("o.script = ?", ifSet: script)
        conditions.add("o.run_id = ?", ifSet: run)
        conditions.add("o.request_seq = ?", ifSet: requestSeq)
        conditions.add("o.id < ?", ifSet: beforeID)
        conditions.add("o.id > ?", ifSet: afterID)
        let rows = try scriptOutputs(where: conditions, order: afterID != nil ? "o.id ASC" : "o.id DESC", limit: limit)
        return afterID != nil ? rows.reversed() : rows
    }

    func scriptOutputs(where conditions: Conditions, order: String, limit: Int) throws -> [ScriptOutputRow] {
        try db.query("""
            SELECT o.id, o.run_id, c.id, r.server_name, c.tool, o.ts, o.script, o.kind, o.level, o.name, o.metric_kind,
                   o.value, o.labels, o.message, o.key, o.location
            FROM script_outputs o
            LEFT JOIN runs r ON r.id = o.run_id
            LEFT JOIN calls c ON c.run_id = o.run_id AND c.request_seq = o.request_seq
            \(conditions.sql) ORDER BY \(order) LIMIT ?
            """, conditions.arguments + [.int(Int64(limit))]).map { r in
            ScriptOutputRow(id: r.int(0) ?? 0, runID: r.int(1), callID: r.int(2), server: r.text(3), tool: r.text(4),
                            timestamp: r.int(5) ?? 0, script: r.text(6) ?? "", kind: r.text(7) ?? "", level: r.text(8),
                            name: r.text(9), metricKind: r.text(10), value: r.double(11), labels: r.text(12),
                            message: r.text(13), key: r.text(14), location: r.text(15))
        }
    }

    /// Metric series (script, name, labels) with their statistics.
    public func metrics(name: String? = nil, script: String? = nil, since: Int64? = nil) throws -> [MetricSeries] {
        var conditions = Conditions(["kind = 'metric'"])
        conditions.add("name = ?", ifSet: name)
        conditions.add("script = ?", ifSet: script)
        conditions.add("ts >= ?", ifSet: since)
        let rows = try db.query("""
            SELECT script, name, COALESCE(metric_kind, 'gauge'), COALESCE(labels, '{}'), value, ts
            FROM script_outputs \(conditions.sql) ORDER BY id
            """, conditions.arguments)
        struct Key: Hashable {
            var script: String, name: String, kind: String, labels: String
        }
        var series: [Key: MetricSeries] = [:]
        var values: [Key: [Double]] = [:]
        var order: [Key] = []
        for r in rows {
            let key = Key(script: r.text(0) ?? "", name: r.text(1) ?? "", kind: r.text(2) ?? "", labels: r.text(3) ?? "{}")
            let value = r.double(4) ?? 0
            let at = r.int(5) ?? 0
            if var s = series[key] {
                s.count += 1
                s.sum += value
                s.min = Swift.min(s.min, value)
                s.max = Swift.max(s.max, value)
                s.last = value
                s.lastAt = at
                series[key] = s
            } else {
                order.append(key)
                series[key] = MetricSeries(script: key.script, name: key.name, kind: key.kind, labels: key.labels, count: 1,
                                           sum: value, min: value, max: value, last: value, lastAt: at)
            }
            if key.kind == "histogram" { values[key, default: []].append(value) }
        }
        return order.compactMap { key in
            guard var s = series[key] else { return nil }
            if let samples = values[key]?.sorted(), !samples.isEmpty {
                s.p50 = samples[Swift.min(samples.count - 1, Swift.max(0, Int((0.5 * Double(samples.count)).rounded(.up)) - 1))]
                s.p95 = samples[Swift.min(samples.count - 1, Swift.max(0, Int((0.95 * Double(samples.count)).rounded(.up)) - 1))]
            }
            return s
        }
    }

    /// The latest reported status of each script in each argus process, newest first.
    public func scriptStatuses() throws -> [ScriptStatusRow] {
        try db.query("""
            SELECT script, argus_pid, path, server, state, last_error, hook_stats, error_count, loaded_at, updated_at
            FROM script_status ORDER BY updated_at DESC
            """).map { r in
            ScriptStatusRow(script: r.text(0) ?? "", argusPID: r.int(1) ?? 0, path: r.text(2) ?? "", server: r.text(3) ?? "",
                            state: r.text(4) ?? "", lastError: r.text(5), hookStats: r.text(6) ?? "{}",
                            errorCount: r.int(7) ?? 0, loadedAt: r.int(8) ?? 0, updatedAt: r.int(9) ?? 0)
        }
    }
}
