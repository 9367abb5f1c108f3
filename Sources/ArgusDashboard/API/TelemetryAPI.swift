import ArgusCore
import ArgusSystem
import ArgusStore

/// What the OTLP exporters of `argus wrap` processes did: `GET /api/telemetry` for the page,
/// and totals for `/metrics` (spans exported, dropped past the queue, refused by a backend).
struct TelemetryAPI: Sendable {
    let pool: ReaderPool

    /// How far back the page looks: exporters of the last week.
    static let window: Int64 = 7 * 86_400_000_000

    func register(_ router: inout Router) {
        router.add("GET", "/api/telemetry") { _, _ in try exporters() }
    }

    func exporters() throws -> HTTPResponse {
        let rows = try pool.withReader { try $0.exportStatuses(since: SystemClock.wallMicros() - Self.window) }
        return .json(["exporters": .array(rows.map(\.json))])
    }

    /// Counters summed over every exporter row (each row only grows), for Prometheus.
    static func prometheusTotals(pool: ReaderPool) -> [(name: String, help: String, type: String, value: Double)] {
        guard let rows = try? pool.withReader({ try $0.exportStatuses() }), !rows.isEmpty else { return [] }
        func total(_ value: (ExportStatusRecord) -> Int64) -> Double { Double(rows.reduce(0) { $0 + value($1) }) }
        return [
            ("argus_otlp_spans_exported_total", "Spans OTLP exporters delivered to their backend.", "counter", total(\.spansExported)),
            (
                "argus_otlp_spans_dropped_total", "Spans dropped: the export queue was full, or still held at exit.", "counter",
                total(\.spansDropped)
            ),
            (
                "argus_otlp_spans_rejected_total", "Spans a backend refused with an error retrying cannot fix.", "counter",
                total(\.spansRejected)
            ),
        ]
    }
}
