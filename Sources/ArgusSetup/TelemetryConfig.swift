import ArgusCore

/// `telemetry.otlp` in `argus.config.json`: OpenTelemetry export of recorded calls.
/// Every field is optional; the standard `OTEL_*` variables and `argus wrap`'s flags
/// override what is set here (flags first, then the environment, then this file).
public struct TelemetryConfig: Sendable, Equatable {
    /// false turns export off even when an endpoint is set (here or in the environment).
    public var enabled: Bool?
    /// Base URL: `/v1/traces` and `/v1/metrics` are appended (as for OTEL_EXPORTER_OTLP_ENDPOINT).
    public var endpoint: String?
    /// Full URLs, used as they are.
    public var tracesEndpoint: String?
    public var metricsEndpoint: String?
    /// `http/protobuf` (default) or `http/json`.
    public var `protocol`: String?
    /// Sent with every export; values may name variables as `${NAME}` (API keys stay out of the file).
    public var headers: [String: String] = [:]
    public var serviceName: String?
    public var resourceAttributes: [String: String] = [:]
    /// The OTEL_TRACES_SAMPLER names: always_on, always_off, traceidratio, parentbased_*.
    public var sampler: String?
    public var samplerArg: Double?
    /// Export tool arguments and results (after redaction). Off by default.
    public var content: Bool?
    /// Add a `traceparent` to forwarded requests that have none (changes the bytes the server gets).
    public var injectTraceContext: Bool?
    /// A link to the call in Argus's dashboard, put on every span: `{call_id}` and `{run_id}` are replaced.
    public var dashboardURL: String?
    /// Spans kept in memory while the backend is slow or down; beyond it they are dropped (and counted).
    public var queueSize: Int?
    public var metricsIntervalSeconds: Double?
    public var timeoutSeconds: Double?

    public init() {}

    static let fields: Set<String> = [
        "enabled", "endpoint", "traces_endpoint", "metrics_endpoint", "protocol", "headers", "service_name",
        "resource_attributes", "sampler", "sampler_arg", "content", "inject_trace_context", "dashboard_url",
        "queue_size", "metrics_interval_s", "timeout_s",
    ]
    public static let protocols = ["http/protobuf", "http/json"]
    public static let samplers = [
        "always_on", "always_off", "traceidratio", "parentbased_always_on",
        "parentbased_always_off", "parentbased_traceidratio",
    ]

    /// Reads the `telemetry` object; errors name the field's path.
    static func parse(_ value: JSONValue, file: String?) throws(Configuration.Error) -> TelemetryConfig {
        try TelemetryReader(file: file).telemetry(value)
    }
}

private struct TelemetryReader: StrictJSONReading {
    var file: String?

    func fail(_ path: String, _ message: String) -> Configuration.Error {
        Configuration.Error(path: path, message: message, file: file)
    }

    func url(_ value: JSONValue, _ path: String) throws(Configuration.Error) -> String {
        let text = try string(value, path)
        guard text.hasPrefix("http://") || text.hasPrefix("https://") else {
            throw fail(path, "expected an http:// or https:// URL, e.g. http://localhost:4318")
        }
        return text
    }

    func stringObject(_ value: JSONValue, _ path: String) throws(Configuration.Error) -> [String: String] {
        var result: [String: String] = [:]
        guard case .object(let object) = value else { throw fail(path, "expected an object of strings") }
        for member in object.members where !member.key.hasPrefix("//") {
            result[member.key] = try string(member.value, "\(path).\(member.key)")
        }
        return result
    }

    func oneOf(_ value: JSONValue, _ path: String, _ allowed: [String]) throws(Configuration.Error) -> String {
        let text = try string(value, path)
        guard allowed.contains(text) else { throw fail(path, "expected one of: \(allowed.joined(separator: ", "))") }
        return text
    }

    func telemetry(_ value: JSONValue) throws(Configuration.Error) -> TelemetryConfig {
        let top = try object(value, "telemetry", allowed: ["otlp"])
        var config = TelemetryConfig()
        guard let otlpValue = top["otlp"] else { return config }
        let p = "telemetry.otlp"
        let o = try object(otlpValue, p, allowed: TelemetryConfig.fields)
        if let v = o["enabled"] { config.enabled = try bool(v, "\(p).enabled") }
        if let v = o["endpoint"] { config.endpoint = try url(v, "\(p).endpoint") }
        if let v = o["traces_endpoint"] { config.tracesEndpoint = try url(v, "\(p).traces_endpoint") }
        if let v = o["metrics_endpoint"] { config.metricsEndpoint = try url(v, "\(p).metrics_endpoint") }
        if let v = o["protocol"] { config.protocol = try oneOf(v, "\(p).protocol", TelemetryConfig.protocols) }
        if let v = o["headers"] { config.headers = try stringObject(v, "\(p).headers") }
        if let v = o["service_name"] { config.serviceName = try string(v, "\(p).service_name") }
        if let v = o["resource_attributes"] { config.resourceAttributes = try stringObject(v, "\(p).resource_attributes") }
        if let v = o["sampler"] { config.sampler = try oneOf(v, "\(p).sampler", TelemetryConfig.samplers) }
        if let v = o["sampler_arg"] { config.samplerArg = try number(v, "\(p).sampler_arg", in: 0...1) }
        if let v = o["content"] { config.content = try bool(v, "\(p).content") }
        if let v = o["inject_trace_context"] { config.injectTraceContext = try bool(v, "\(p).inject_trace_context") }
        if let v = o["dashboard_url"] { config.dashboardURL = try url(v, "\(p).dashboard_url") }
        if let v = o["queue_size"] { config.queueSize = try integer(v, "\(p).queue_size", minimum: 1) }
        if let v = o["metrics_interval_s"] { config.metricsIntervalSeconds = try number(v, "\(p).metrics_interval_s", minimum: 0.01) }
        if let v = o["timeout_s"] { config.timeoutSeconds = try number(v, "\(p).timeout_s", minimum: 0.01) }
        return config
    }
}
