import ArgusCore

/// What OTLP export does in this process. ArgusSetup resolves it from `argus wrap`'s flags,
/// the standard `OTEL_*` variables and `telemetry.otlp` in the config (TelemetryConfig), and
/// passes it in: this module reads neither the environment nor the config file.
public struct TelemetrySettings: Sendable {
    public enum WireProtocol: String, Sendable {
        case protobuf = "http/protobuf"
        case json = "http/json"

        var contentType: String { self == .protobuf ? "application/x-protobuf" : "application/json" }
    }

    public enum Sampler: String, Sendable {
        case alwaysOn = "always_on"
        case alwaysOff = "always_off"
        case traceIDRatio = "traceidratio"
        case parentBasedAlwaysOn = "parentbased_always_on"
        case parentBasedAlwaysOff = "parentbased_always_off"
        case parentBasedTraceIDRatio = "parentbased_traceidratio"
    }

    public struct Signal: Sendable {
        public var url: String
        public var wireProtocol: WireProtocol
        /// `Name: value` lines.
        public var headers: [String]

        public init(url: String, wireProtocol: WireProtocol, headers: [String] = []) {
            self.url = url
            self.wireProtocol = wireProtocol
            self.headers = headers
        }
    }

    /// How Argus reaches the MCP server, for `network.transport`, `server.address` and
    /// `server.port`: a stdio child (`pipe`), or a remote server (`tcp`, `argus wrap --url`).
    public struct ServerConnection: Sendable, Equatable {
        public var transport: String
        public var address: String?
        public var port: Int?

        public static let pipe = ServerConnection(transport: "pipe")

        public static func tcp(address: String, port: Int) -> ServerConnection {
            ServerConnection(transport: "tcp", address: address, port: port)
        }
    }

    /// Nil when that signal is not exported.
    public var traces: Signal?
    public var metrics: Signal?
    /// Set by the session, not by the user.
    public var serverConnection = ServerConnection.pipe
    /// Set by the session: how the MCP client reaches Argus (`pipe`; `tcp` for `argus proxy`).
    public var clientTransport = ServerConnection.pipe.transport
    public var serviceName = "argus"
    /// Resource attributes on top of service.name (OTEL_RESOURCE_ATTRIBUTES, config).
    public var resourceAttributes: [(String, String)] = []
    public var sampler = Sampler.parentBasedAlwaysOn
    public var samplerRatio = 1.0
    public var exportContent = false
    public var injectTraceContext = false
    /// `{call_id}` and `{run_id}` are replaced; nil puts no link on spans.
    public var dashboardURL: String?
    public var queueSize = 8192
    public var maxBatchSize = 512
    public var scheduleDelaySeconds = 1.0
    public var metricsIntervalSeconds = 60.0
    public var timeoutSeconds = 10.0
    /// What the user should know about the settings (an unsupported option ignored).
    public var warnings: [String] = []

    public init() {}
}
