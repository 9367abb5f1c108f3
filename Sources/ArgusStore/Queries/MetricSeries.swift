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

    /// Summarises samples, in the order they come, into one series per script, name, kind and labels.
    struct Builder {
        private struct Key: Hashable {
            var script: String, name: String, kind: String, labels: String
        }

        private var byKey: [Key: MetricSeries] = [:]
        private var values: [Key: [Double]] = [:]
        private var order: [Key] = []

        mutating func add(_ sample: MetricSample) {
            let key = Key(
                script: sample.script, name: sample.name ?? "", kind: sample.metricKind ?? "gauge",
                labels: sample.labels ?? "{}")
            let value = sample.value ?? 0
            let at = sample.timestamp
            if var s = byKey[key] {
                s.count += 1
                s.sum += value
                s.min = Swift.min(s.min, value)
                s.max = Swift.max(s.max, value)
                s.last = value
                s.lastAt = at
                byKey[key] = s
            } else {
                order.append(key)
                byKey[key] = MetricSeries(
                    script: key.script, name: key.name, kind: key.kind, labels: key.labels, count: 1,
                    sum: value, min: value, max: value, last: value, lastAt: at)
            }
            if key.kind == "histogram" { values[key, default: []].append(value) }
        }

        /// In the order each series was first seen; histograms with their percentiles.
        var series: [MetricSeries] {
            order.compactMap { key in
                guard var s = byKey[key] else { return nil }
                if let samples = values[key]?.sorted(), !samples.isEmpty {
                    s.p50 = samples[Swift.min(samples.count - 1, Swift.max(0, Int((0.5 * Double(samples.count)).rounded(.up)) - 1))]
                    s.p95 = samples[Swift.min(samples.count - 1, Swift.max(0, Int((0.95 * Double(samples.count)).rounded(.up)) - 1))]
                }
                return s
            }
        }
    }
}
