import ArgusCore
import ArgusSystem
import ArgusStore
import ArgusTelemetry

extension Diagnosis {
    /// Whether `argus wrap` here would export (and where), and what the exporters of the last day
    /// did: spans sent, dropped past the queue, refused by the backend, the last error.
    mutating func telemetry(_ config: Configuration?, reader: ArgusReader?, environment: [String: String]) {
        do throws(TelemetryConfig.Problem) {
            if let settings = try (config?.telemetry ?? TelemetryConfig()).settings(environment: environment) {
                let targets = [("traces", settings.traces), ("metrics", settings.metrics)].compactMap { name, signal in
                    signal.map { "\(name) → \(OTLPTransport.displayURL($0.url)) (\($0.wireProtocol.rawValue))" }
                }
                add(
                    "telemetry", .ok, "OpenTelemetry export is on: " + targets.joined(separator: ", "),
                    (settings.exportContent ? ["tool arguments and results are exported (after redaction)"] : []) + settings.warnings)
            } else {
                add(
                    "telemetry", .info,
                    "OpenTelemetry export is off (set OTEL_EXPORTER_OTLP_ENDPOINT or telemetry.otlp.endpoint to send calls to a backend)")
            }
        } catch {
            add("telemetry", .failed, "OpenTelemetry export cannot start: \(error.description)")
        }
        let dayAgo = SystemClock.wallMicros() - 86_400_000_000
        guard let rows = try? reader?.exportStatuses(since: dayAgo) else { return }
        for row in rows.prefix(5) {
            let lost = row.spansDropped + row.spansRejected
            var title =
                "\(row.exporter) export of argus \(row.argusPID) (\(row.server)) to \(row.endpoint): "
                + "\(row.spansExported) spans exported, \(row.spansDropped) spans dropped, \(row.spansRejected) rejected"
            if row.spansQueued > 0 { title += ", \(row.spansQueued) queued" }
            if row.metricExportsFailed > 0 { title += ", \(row.metricExportsFailed) metric exports failed" }
            var details: [String] = []
            if let error = row.lastError {
                details.append("last error (\(row.lastErrorAt.map { TimeFormat.iso8601(micros: $0) } ?? "?")): \(error)")
            }
            if row.spansDropped > 0 {
                details.append(
                    "spans are dropped when the backend is down or slow for longer than the queue lasts "
                        + "(telemetry.otlp.queue_size); the calls themselves are in the recording")
            }
            add("telemetry", lost > 0 ? .warning : .ok, title, details)
        }
    }
}
