import ArgusCore
import ArgusStore
import ArgusSystem
import Foundation

/// Aggregates of every recorded call, kept in memory and updated as calls
/// arrive, so `/api/stats` and `/metrics` answer in microseconds whatever the
/// size of the database. Loaded with one scan at start; rebuilt after deletes.
/// Real traffic only: calls of replay runs and chaos runs (faults injected) are not counted
/// (`/api/stats?include_replays=1` asks SQL).
final class StatsIndex: @unchecked Sendable {
    struct Key: Hashable {
        var server: String
        var method: String
        var tool: String?
    }

    struct Group {
        var count = 0
        var errors = 0
        var latency = LatencyHistogram()
    }

    struct Minute {
        var count = 0
        var errors = 0
    }

    private let monitor = Monitor()
    private var groups: [Key: Group] = [:]
    /// Per server, calls and errors per minute (epoch minutes).
    private var minutes: [String: [Int64: Minute]] = [:]
    private var highWater: Int64 = 0
    private var loaded = false
    /// Calls the live feed delivers while a load scans the table: applied after it, not lost.
    private var arrivedDuringLoad: [CallRecord]?

    var isLoaded: Bool { monitor.locked { loaded } }

    /// One load at a time: a second one would end the first one's record of what arrived meanwhile.
    private let loading = Monitor()

    /// Reads every call (one pass) and replaces the aggregates.
    func load(from reader: any ArgusReader) throws {
        try loading.locked { try loadOnce(from: reader) }
    }

    private func loadOnce(from reader: any ArgusReader) throws {
        monitor.locked { arrivedDuringLoad = [] }
        var fresh: [Key: Group] = [:]
        var freshMinutes: [String: [Int64: Minute]] = [:]
        var top: Int64 = 0
        do {
            try reader.forEachCallFigures(serverAnswersOnly: true) { call in
                Self.add(
                    key: Key(server: call.server, method: call.method, tool: call.tool), latency: call.latencyMicros,
                    isError: call.isError, startedAt: call.startedAt, groups: &fresh, minutes: &freshMinutes)
                top = Swift.max(top, call.id)
            }
        } catch {
            monitor.locked { arrivedDuringLoad = nil }
            throw error
        }
        monitor.locked {
            groups = fresh
            minutes = freshMinutes
            highWater = top
            loaded = true
            let arrived = arrivedDuringLoad ?? []
            arrivedDuringLoad = nil
            addLocked(arrived)
        }
    }

    /// Adds calls the live feed found, by id (ignores ones already counted: ids of new calls only grow,
    /// until a delete, after which the index is loaded again).
    func add(_ calls: [CallRecord]) {
        monitor.locked {
            arrivedDuringLoad?.append(contentsOf: calls)
            addLocked(calls)
        }
    }

    private func addLocked(_ calls: [CallRecord]) {
        for call in calls where call.id > highWater {
            defer { highWater = call.id }
            if call.runKind == RunRecord.replayKind || call.runKind == RunRecord.mockKind
                || call.runKind == RunRecord.chaosKind
            {
                continue
            }
            Self.add(
                key: Key(server: call.server, method: call.method, tool: call.tool), latency: call.latencyMicros,
                isError: call.isError, startedAt: call.startedAt, groups: &groups, minutes: &minutes)
        }
    }

    private static func add(
        key: Key, latency: Int64?, isError: Bool, startedAt: Int64, groups: inout [Key: Group],
        minutes: inout [String: [Int64: Minute]]
    ) {
        var group = groups[key] ?? Group()
        group.count += 1
        if isError { group.errors += 1 }
        if let latency { group.latency.add(latency) }
        groups[key] = group
        let minute = startedAt / 60_000_000
        var perMinute = minutes[key.server, default: [:]][minute] ?? Minute()
        perMinute.count += 1
        if isError { perMinute.errors += 1 }
        minutes[key.server, default: [:]][minute] = perMinute
    }

    // MARK: answers

    /// Display buckets for histograms: 1-2-5 steps from 10 µs to 10 min.
    static let displayEdges: [Double] = {
        var edges: [Double] = []
        var decade = 10.0
        while decade < 600_000_000 {
            for step in [1.0, 2.0, 5.0] { edges.append(decade * step) }
            decade *= 10
        }
        return edges
    }()

    /// `/api/stats` from the index: per tool, per server, and a timeline.
    func statsJSON(server: String?, timelinePoints: Int = 120) -> JSONValue {
        monitor.locked {
            var tools: [(Key, Group)] = groups.filter { server == nil || $0.key.server == server }.map { ($0.key, $0.value) }
            tools.sort { a, b in
                if a.0.server != b.0.server { return a.0.server < b.0.server }
                if (a.0.tool != nil) != (b.0.tool != nil) { return a.0.tool != nil }
                return (a.0.tool ?? a.0.method) < (b.0.tool ?? b.0.method)
            }
            var perServer: [String: Group] = [:]
            for (key, group) in tools {
                var total = perServer[key.server] ?? Group()
                total.count += group.count
                total.errors += group.errors
                for (i, c) in group.latency.counts.enumerated() where c > 0 { total.latency.counts[i] += c }
                total.latency.total += group.latency.total
                total.latency.sum += group.latency.sum
                total.latency.max = Swift.max(total.latency.max, group.latency.max)
                perServer[key.server] = total
            }
            return [
                "exact": false,
                "tools": .array(
                    tools.map {
                        Self.groupJSON(
                            $0.1, server: $0.0.server, name: $0.0.tool ?? $0.0.method,
                            kind: $0.0.tool == nil ? "method" : "tool", histogram: true)
                    }),
                "servers": .array(
                    perServer.sorted { $0.key < $1.key }.map {
                        Self.groupJSON($0.value, server: $0.key, name: $0.key, kind: "server", histogram: false)
                    }),
                "timeline": timelineJSON(server: server, points: timelinePoints),
            ]
        }
    }

    static func groupJSON(_ group: Group, server: String, name: String, kind: String, histogram: Bool) -> JSONValue {
        var o: JSONObject = [
            "server": .string(server), "name": .string(name), "kind": .string(kind),
            "count": .int(group.count), "errors": .int(group.errors),
            "error_rate": .double(group.count == 0 ? 0 : Double(group.errors) / Double(group.count)),
        ]
        let h = group.latency
        o["p50_us"] = h.percentile(0.50).map { .number(String($0)) } ?? .null
        o["p95_us"] = h.percentile(0.95).map { .number(String($0)) } ?? .null
        o["p99_us"] = h.percentile(0.99).map { .number(String($0)) } ?? .null
        o["mean_us"] = h.total > 0 ? .number(String(h.sum / Int64(h.total))) : .null
        o["max_us"] = h.total > 0 ? .number(String(h.max)) : .null
        if histogram { o["histogram"] = histogramJSON(h) }
        return .object(o)
    }

    /// Counts per display bucket: `[{"le_us": 100, "count": 3}, …]`, trimmed to the non-empty range.
    static func histogramJSON(_ h: LatencyHistogram) -> JSONValue {
        var cumulative: [Int] = displayEdges.map { h.countAtOrBelow($0) }
        cumulative.append(h.total)
        var buckets: [(Double?, Int)] = []
        var previous = 0
        for (i, c) in cumulative.enumerated() {
            buckets.append((i < displayEdges.count ? displayEdges[i] : nil, c - previous))
            previous = c
        }
        guard let first = buckets.firstIndex(where: { $0.1 > 0 }), let last = buckets.lastIndex(where: { $0.1 > 0 }) else {
            return []
        }
        return .array(
            buckets[first...last].map { edge, count in
                ["le_us": edge.map { .number(String(Int64($0))) } ?? .null, "count": .int(count)]
            })
    }

    /// Calls and errors over time, merged to about `points` buckets across the recorded range.
    private func timelineJSON(server: String?, points: Int) -> JSONValue {
        var merged: [Int64: Minute] = [:]
        for (name, perMinute) in minutes where server == nil || name == server {
            for (minute, m) in perMinute {
                merged[minute, default: Minute()].count += m.count
                merged[minute, default: Minute()].errors += m.errors
            }
        }
        guard let first = merged.keys.min(), let last = merged.keys.max() else {
            return ["bucket_seconds": 60, "points": []]
        }
        let width = Swift.max(1, (last - first + 1 + Int64(points) - 1) / Int64(points))  // minutes per bucket
        var buckets: [Int64: Minute] = [:]
        for (minute, m) in merged {
            let b = first + (minute - first) / width * width
            buckets[b, default: Minute()].count += m.count
            buckets[b, default: Minute()].errors += m.errors
        }
        var series: [JSONValue] = []
        var b = first
        while b <= last {
            let m = buckets[b] ?? Minute()
            series.append([
                "t": .string(TimeFormat.iso8601(micros: b * 60_000_000)), "t_us": .number(String(b * 60_000_000)),
                "count": .int(m.count), "errors": .int(m.errors),
            ])
            b += width
        }
        return ["bucket_seconds": .number(String(width * 60)), "points": .array(series)]
    }

    /// Prometheus text exposition of calls, errors and latency histograms.
    func prometheus(extra: [(name: String, help: String, type: String, value: Double)]) -> String {
        let edges: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
        return monitor.locked {
            let sorted = groups.sorted { a, b in
                (a.key.server, a.key.method, a.key.tool ?? "") < (b.key.server, b.key.method, b.key.tool ?? "")
            }
            var out = "# HELP argus_calls_total Recorded MCP calls.\n# TYPE argus_calls_total counter\n"
            for (key, group) in sorted { out += "argus_calls_total{\(Self.labels(key))} \(group.count)\n" }
            out += "# HELP argus_call_errors_total Recorded calls that failed (JSON-RPC error or isError result).\n"
            out += "# TYPE argus_call_errors_total counter\n"
            for (key, group) in sorted { out += "argus_call_errors_total{\(Self.labels(key))} \(group.errors)\n" }
            out += "# HELP argus_call_latency_seconds Call latency, request to response.\n"
            out += "# TYPE argus_call_latency_seconds histogram\n"
            for (key, group) in sorted {
                let labels = Self.labels(key)
                for edge in edges {
                    out +=
                        "argus_call_latency_seconds_bucket{\(labels),le=\"\(Self.number(edge))\"} \(group.latency.countAtOrBelow(edge * 1e6))\n"
                }
                out += "argus_call_latency_seconds_bucket{\(labels),le=\"+Inf\"} \(group.latency.total)\n"
                out += "argus_call_latency_seconds_sum{\(labels)} \(Self.number(Double(group.latency.sum) / 1e6))\n"
                out += "argus_call_latency_seconds_count{\(labels)} \(group.latency.total)\n"
            }
            for metric in extra {
                out +=
                    "# HELP \(metric.name) \(metric.help)\n# TYPE \(metric.name) \(metric.type)\n\(metric.name) \(Self.number(metric.value))\n"
            }
            return out
        }
    }

    static func labels(_ key: Key) -> String {
        "server=\"\(escape(key.server))\",method=\"\(escape(key.method))\",tool=\"\(escape(key.tool ?? ""))\""
    }

    static func escape(_ value: String) -> String {
        value.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\n", with: "\\n")
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
