import ArgusCore

/// Cumulative metrics since this process started: the MCP duration histograms the
/// conventions define, and every metric a Lua script derives, with its labels.
///
/// Cumulative, because then an export that fails loses nothing: the next one carries the
/// totals. Memory is bounded by the number of distinct attribute sets (methods, tools,
/// error types, script labels, which Argus already caps per metric).
public struct MetricsAggregator {
    /// The conventions' bucket boundaries for MCP durations, in seconds.
    static let durationBounds: [Double] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]
    /// OpenTelemetry's default boundaries, for script histograms (their unit is the script's).
    static let defaultBounds: [Double] = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000]
    /// Attribute sets kept per metric; beyond it new sets are folded into one marked overflow set.
    static let maxSeriesPerMetric = 2000

    struct SeriesKey: Hashable {
        var name: String
        var attributes: [Pair]
    }

    struct Pair: Hashable {
        var key: String
        var value: String
    }

    struct Histogram {
        var bounds: [Double]
        var counts: [UInt64]
        var count: UInt64 = 0
        var sum = 0.0
        var min = Double.infinity
        var max = -Double.infinity

        init(bounds: [Double]) {
            self.bounds = bounds
            counts = Array(repeating: 0, count: bounds.count + 1)
        }

        mutating func record(_ value: Double) {
            var index = bounds.count
            for (i, bound) in bounds.enumerated() where value <= bound {
                index = i
                break
            }
            counts[index] += 1
            count += 1
            sum += value
            min = Swift.min(min, value)
            max = Swift.max(max, value)
        }
    }

    struct Description {
        var unit: String
        var text: String
    }

    private var histograms: [SeriesKey: Histogram] = [:]
    private var sums: [SeriesKey: Double] = [:]
    private var gauges: [SeriesKey: (value: Double, at: UInt64)] = [:]
    private var descriptions: [String: Description] = [:]
    private var seriesCount: [String: Int] = [:]
    let startNanos: UInt64
    /// network.transport, server.address and server.port, the same on every series.
    let connectionAttributes: [Pair]

    public init(startNanos: UInt64, serverConnection: TelemetrySettings.ServerConnection = .pipe) {
        self.startNanos = startNanos
        connectionAttributes =
            [Pair(key: "network.transport", value: serverConnection.transport)]
            + (serverConnection.address.map { [Pair(key: "server.address", value: $0)] } ?? [])
            + (serverConnection.port.map { [Pair(key: "server.port", value: String($0))] } ?? [])
    }

    public var isEmpty: Bool { histograms.isEmpty && sums.isEmpty && gauges.isEmpty }

    /// A completed call: Argus is the server to the peer that sent the request and the
    /// client of the peer that answered, so the duration counts for both instruments.
    public mutating func record(call: ExportedCall) {
        guard let status = call.status, status != .noResponse, let ended = call.endedAt else { return }
        let seconds = Double(max(ended - call.startedAt, 0)) / 1e6
        var attributes =
            [Pair(key: "mcp.method.name", value: call.method)] + connectionAttributes
            + [Pair(key: "argus.server.name", value: call.server)]
        if call.method == "tools/call", let tool = call.tool {
            attributes.append(Pair(key: "gen_ai.tool.name", value: tool))
            attributes.append(Pair(key: "gen_ai.operation.name", value: "execute_tool"))
        }
        if call.method == "prompts/get", let prompt = call.target { attributes.append(Pair(key: "gen_ai.prompt.name", value: prompt)) }
        if let version = call.protocolVersion { attributes.append(Pair(key: "mcp.protocol.version", value: version)) }
        if let errorType = call.errorType { attributes.append(Pair(key: "error.type", value: errorType)) }
        if let code = call.errorCode { attributes.append(Pair(key: "rpc.response.status_code", value: String(code))) }
        describe(
            "mcp.server.operation.duration", unit: "s",
            "MCP request duration as observed on the receiver from the time it was received until the result is sent.")
        describe(
            "mcp.client.operation.duration", unit: "s",
            "The duration of the MCP request as observed on the sender from the time it was sent until the response is received.")
        observe("mcp.server.operation.duration", attributes, seconds, bounds: Self.durationBounds)
        observe("mcp.client.operation.duration", attributes, seconds, bounds: Self.durationBounds)
    }

    /// A run that ended: Argus's session with the client, and with the server.
    public mutating func recordSession(server: String, protocolVersion: String?, seconds: Double, errorType: String?) {
        var attributes = connectionAttributes + [Pair(key: "argus.server.name", value: server)]
        if let protocolVersion { attributes.append(Pair(key: "mcp.protocol.version", value: protocolVersion)) }
        if let errorType { attributes.append(Pair(key: "error.type", value: errorType)) }
        describe("mcp.server.session.duration", unit: "s", "The duration of the MCP session as observed on the MCP server.")
        describe("mcp.client.session.duration", unit: "s", "The duration of the MCP session as observed on the MCP client.")
        observe("mcp.server.session.duration", attributes, max(seconds, 0), bounds: Self.durationBounds)
        observe("mcp.client.session.duration", attributes, max(seconds, 0), bounds: Self.durationBounds)
    }

    /// A sample from `argus.metric.counter/gauge/histogram` in a Lua script.
    public mutating func record(scriptMetric output: ScriptOutputRecord, server: String) {
        guard output.kind == .metric, let name = output.name, let value = output.value, value.isFinite else { return }
        var attributes = [Pair(key: "argus.script", value: output.script), Pair(key: "argus.server.name", value: server)]
        if let labels = output.labels, let object = try? JSONParser.parse(labels), case .object(let members) = object {
            for member in members.members {
                attributes.append(Pair(key: member.key, value: member.value.stringValue ?? JSONWriter.string(member.value)))
            }
        }
        describe(name, unit: "", "Derived by the Lua script \(output.script).")
        switch output.metricKind {
        case "counter":
            guard let key = series(name, attributes) else { return }
            sums[key, default: 0] += value
        case "gauge":
            guard let key = series(name, attributes) else { return }
            gauges[key] = (value, UInt64(max(output.timestamp, 0)) * 1000)
        default:
            observe(name, attributes, value, bounds: Self.defaultBounds)
        }
    }

    private mutating func describe(_ name: String, unit: String, _ text: String) {
        if descriptions[name] == nil { descriptions[name] = Description(unit: unit, text: text) }
    }

    private mutating func observe(_ name: String, _ attributes: [Pair], _ value: Double, bounds: [Double]) {
        guard let key = series(name, attributes) else { return }
        histograms[key, default: Histogram(bounds: bounds)].record(value)
    }

    /// The key for this attribute set, or the overflow set once a metric has too many.
    private mutating func series(_ name: String, _ attributes: [Pair]) -> SeriesKey? {
        let key = SeriesKey(name: name, attributes: attributes.sorted { $0.key < $1.key })
        if histograms[key] != nil || sums[key] != nil || gauges[key] != nil { return key }
        if seriesCount[name, default: 0] >= Self.maxSeriesPerMetric {
            return SeriesKey(name: name, attributes: [Pair(key: "otel.metric.overflow", value: "true")])
        }
        seriesCount[name, default: 0] += 1
        return key
    }

    /// Everything so far, as OTLP metrics stamped `nowNanos`.
    public func snapshot(nowNanos: UInt64) -> [Metric] {
        var byName: [String: Metric] = [:]
        func metric(_ name: String) -> Metric {
            if let existing = byName[name] { return existing }
            var m = Metric()
            m.name = name
            m.unit = descriptions[name]?.unit ?? ""
            m.description_p = descriptions[name]?.text ?? ""
            return m
        }
        func attributes(_ pairs: [Pair]) -> [KeyValue] { pairs.map { .string($0.key, $0.value) } }
        for (key, h) in histograms {
            var point = Opentelemetry_Proto_Metrics_V1_HistogramDataPoint()
            point.attributes = attributes(key.attributes)
            point.startTimeUnixNano = startNanos
            point.timeUnixNano = nowNanos
            point.count = h.count
            point.sum = h.sum
            point.bucketCounts = h.counts
            point.explicitBounds = h.bounds
            if h.count > 0 {
                point.min = h.min
                point.max = h.max
            }
            var m = metric(key.name)
            m.histogram.aggregationTemporality = .cumulative
            m.histogram.dataPoints.append(point)
            byName[key.name] = m
        }
        for (key, total) in sums {
            var point = Opentelemetry_Proto_Metrics_V1_NumberDataPoint()
            point.attributes = attributes(key.attributes)
            point.startTimeUnixNano = startNanos
            point.timeUnixNano = nowNanos
            point.asDouble = total
            var m = metric(key.name)
            m.sum.aggregationTemporality = .cumulative
            m.sum.isMonotonic = true
            m.sum.dataPoints.append(point)
            byName[key.name] = m
        }
        for (key, gauge) in gauges {
            var point = Opentelemetry_Proto_Metrics_V1_NumberDataPoint()
            point.attributes = attributes(key.attributes)
            point.timeUnixNano = max(gauge.at, startNanos)
            point.asDouble = gauge.value
            var m = metric(key.name)
            m.gauge.dataPoints.append(point)
            byName[key.name] = m
        }
        return byName.keys.sorted().compactMap { byName[$0] }
    }
}
