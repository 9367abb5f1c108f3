import ArgumentParser
import ArgusCore
import ArgusProxy
import ArgusRemote
import ArgusSetup
import ArgusTelemetry
import Foundation

/// The OpenTelemetry flags of `argus wrap` and `argus proxy`. Without them, the standard OTEL_* variables and the
/// config's `telemetry.otlp` decide; with neither, nothing of the exporter is started.
struct TelemetryOptions: ParsableArguments {
    @Option(
        name: .customLong("otlp-endpoint"),
        help: ArgumentHelp(
            "Export calls as OpenTelemetry spans and metrics to this OTLP/HTTP endpoint "
                + "(/v1/traces and /v1/metrics are appended; overrides OTEL_EXPORTER_OTLP_ENDPOINT).",
            valueName: "url"))
    var endpoint: String?

    @Option(
        name: .customLong("otlp-protocol"),
        help: ArgumentHelp("http/protobuf (default) or http/json.", valueName: "protocol"))
    var wireProtocol: String?

    @Option(
        name: .customLong("otlp-header"),
        help: ArgumentHelp(
            "A header for the OTLP backend, e.g. x-api-key=… (repeatable; added to OTEL_EXPORTER_OTLP_HEADERS).",
            valueName: "name=value"))
    var headers: [String] = []

    @Flag(
        name: .customLong("otlp-content"),
        help: "Also export tool arguments and results (after redaction; off by default).")
    var content = false

    @Flag(
        name: .customLong("otlp-inject"),
        help: ArgumentHelp(
            "Add a traceparent to requests the client sends without one, so the server's own spans join "
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
        let dashboard =
            "http://\(config.dashboardHost.map { $0 == "0.0.0.0" ? "127.0.0.1" : $0 } ?? "127.0.0.1")"
            + ":\(config.dashboardPort ?? 3000)"
        let settings: TelemetrySettings
        do throws(TelemetryConfig.Problem) {
            guard
                let resolved = try config.telemetry.settings(
                    environment: environment, overrides: overrides,
                    dashboardBase: dashboard)
            else { return nil }
            settings = resolved
        } catch {
            StderrLog.write("argus: OpenTelemetry export is off: \(error.description)")
            return nil
        }
        for warning in settings.warnings { StderrLog.write("argus: \(warning)") }
        return settings
    }

    /// Starts the exporter for a session when export is on: committed batches go to it, and it
    /// is flushed when the session finishes (within the grace period). `injects` is false where
    /// the relay cannot rewrite requests (`argus proxy`): a `--otlp-inject` there is said, not ignored.
    func attach(
        to options: inout WrapOptions, config: Configuration, server: String, remoteURL: String?,
        clientTransport: String? = nil, injects: Bool = true
    ) {
        guard var settings = settings(config: config) else { return }
        if let remoteURL {
            let address = RemoteWrapSession.serverAddress(url: remoteURL)
            settings.serverConnection = .tcp(address: address.host, port: address.port)
        }
        if let clientTransport { settings.clientTransport = clientTransport }
        // The exporter starts a thread now, before the session blocks termination signals for
        // the threads it starts: block them first, or a SIGTERM would land on the exporter's
        // thread and kill the process without ending the session (or flushing the exporter).
        TerminationSignals.block()
        let exporter = OTLPExporter(
            settings: settings, server: server, statusPath: options.databasePath, processID: getpid(),
            report: StderrLog.write)
        options.onCommitted = { exporter.consume($0) }
        if settings.injectTraceContext && settings.traces != nil {
            if injects {
                let injector = TraceContextInjector(sampler: settings.sampler, ratio: settings.samplerRatio)
                options.rewriteClientLine = { injector.inject($0) }
            } else {
                StderrLog.write("argus: trace context is not injected by argus proxy (requests pass unchanged); spans are exported")
            }
        }
        let finishOthers = options.onFinish
        let grace = options.graceSeconds
        options.onFinish = {
            exporter.finish(timeoutSeconds: grace)
            finishOthers?()
        }
    }
}
