import ArgumentParser
import ArgusCore
import ArgusProxy
import ArgusSetup
import ArgusTelemetry
import Foundation

/// `argus wrap`'s OpenTelemetry flags. Without them, the standard OTEL_* variables and the
/// config's `telemetry.otlp` decide; with neither, nothing of the exporter is started.
struct TelemetryOptions: ParsableArguments {
    @Option(name: .customLong("otlp-endpoint"),
            help: ArgumentHelp("Export calls as OpenTelemetry spans and metrics to this OTLP/HTTP endpoint "
                               + "(/v1/traces and /v1/metrics are appended; overrides OTEL_EXPORTER_OTLP_ENDPOINT).",
                               valueName: "url"))
    var endpoint: String?

    @Option(name: .customLong("otlp-protocol"),
            help: ArgumentHelp("http/protobuf (default) or http/json.", valueName: "protocol"))
    var wireProtocol: String?

    @Option(name: .customLong("otlp-header"),
            help: ArgumentHelp("A header for the OTLP backend, e.g. x-api-key=… (repeatable; added to OTEL_EXPORTER_OTLP_HEADERS).",
                               valueName: "name=value"))
    var headers: [String] = []

    @Flag(name: .customLong("otlp-content"),
          help: "Also export tool arguments and results (after redaction; off by default).")
    var content = false

    @Flag(name: .customLong("otlp-inject"),
          help: ArgumentHelp("Add a traceparent to requests the client sends without one, so the server's own spans join "
                             + "the trace (changes the bytes the server receives; off by default)."))
    var inject = false

    @Flag(name: .customLong("no-otlp"), help: "Export nothing, whatever the environment and the config say.")
    var disabled = false

    func validate() throws {
        if let endpoint, !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            throw ValidationError("--otlp-endpoint takes an http:// or https:// URL, e.g. http://localhost:4318")
        }
        if let wireProtocol, !TelemetryConfig.protocols.contains(wireProtocol) {
            throw ValidationError("--otlp-protocol takes one of: \(TelemetryConfig.protocols.joined(separator: ", "))")
        }
        if let bad = headers.first(where: { !$0.contains("=") }) {
            throw ValidationError("--otlp-header takes name=value, not \(bad)")
        }
    }

    var overrides: TelemetryConfig.Overrides {
        var o = TelemetryConfig.Overrides()
        o.endpoint = endpoint
        o.wireProtocol = wireProtocol
        o.headers = headers
        o.content = content ? true : nil
        o.inject = inject ? true : nil
        o.disabled = disabled
        return o
    }

    /// What export does in this session, or nil when it is off or cannot work (said on stderr:
    /// a telemetry problem never stops the session).
    func settings(config: Configuration) -> TelemetrySettings? {
        let environment = ProcessInfo.processInfo.environment
        let dashboard = "http://\(config.dashboardHost.map { $0 == "0.0.0.0" ? "127.0.0.1" : $0 } ?? "127.0.0.1")"
            + ":\(config.dashboardPort ?? 3000)"
        let settings: TelemetrySettings
        do throws(TelemetryConfig.Problem) {
            guard let resolved = try config.telemetry.settings(environment: environment, overrides: overrides,
                                                                dashboardBase: dashboard) else { return nil }
            settings = resolved
        } catch {
            StderrLog.write("argus: OpenTelemetry export is off: \(error.description)")
            return nil
        }
        for warning in settings.warnings { StderrLog.write("argus: \(warning)") }
        return settings
    }
}
