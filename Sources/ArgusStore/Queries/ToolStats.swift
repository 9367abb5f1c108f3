/// Latency and error figures for one tool (or method) of one server.
public struct ToolStats: Sendable {
    public var server: String
    /// The tool name for `tools/call`, otherwise the method.
    public var name: String
    public var isTool: Bool
    public var count: Int
    public var errors: Int
    public var p50: Int64?
    public var p95: Int64?
    public var p99: Int64?
    public var mean: Int64?
    public var max: Int64?

    public var errorRate: Double { count == 0 ? 0 : Double(errors) / Double(count) }

    /// Nearest-rank percentile of sorted values.
    public static func percentile(_ sorted: [Int64], _ p: Double) -> Int64? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[Swift.min(Swift.max(rank, 1), sorted.count) - 1]
    }

    /// Groups calls by server and tool (or method), exactly: every latency is kept and sorted.
    struct Builder {
        private struct Key: Hashable {
            var server: String
            var name: String
            var isTool: Bool
        }

        private struct Group {
            var latencies: [Int64] = []
            var count = 0
            var errors = 0

            mutating func add(_ call: CallFigures) {
                count += 1
                if call.isError { errors += 1 }
                if let latency = call.latencyMicros { latencies.append(latency) }
            }
        }

        private var groups: [Key: Group] = [:]

        mutating func add(_ call: CallFigures) {
            // In place: a group copied out of the dictionary and back would copy its latencies at every call.
            groups[Key(server: call.server, name: call.tool ?? call.method, isTool: call.tool != nil), default: Group()].add(call)
        }

        /// By server, tools before other methods, then by name.
        var stats: [ToolStats] {
            groups.map { key, g in
                let sorted = g.latencies.sorted()
                return ToolStats(
                    server: key.server, name: key.name, isTool: key.isTool, count: g.count, errors: g.errors,
                    p50: ToolStats.percentile(sorted, 0.50), p95: ToolStats.percentile(sorted, 0.95),
                    p99: ToolStats.percentile(sorted, 0.99),
                    mean: sorted.isEmpty ? nil : sorted.reduce(0, +) / Int64(sorted.count), max: sorted.last)
            }.sorted { a, b in
                if a.server != b.server { return a.server < b.server }
                if a.isTool != b.isTool { return a.isTool }
                return a.name < b.name
            }
        }
    }
}
