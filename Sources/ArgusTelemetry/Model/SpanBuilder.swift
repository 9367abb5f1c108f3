import ArgusCore
import Foundation

/// Turns a recorded call into OpenTelemetry spans, following the MCP semantic conventions.
///
/// A proxy is a hop: for each call it reports a SERVER span facing the peer that sent the
/// request (the MCP client, or the server for sampling and elicitation) and a CLIENT span,
/// its child, facing the peer that answers. A `traceparent` the sender put in
/// `params._meta` is the SERVER span's parent, so the sender's trace continues through
/// Argus; a server that reads the context Argus injects (opt-in) continues under the CLIENT span.
public struct SpanBuilder {
    public struct Options: Sendable {
        public var sampler = TelemetrySettings.Sampler.parentBasedAlwaysOn
        public var samplerRatio = 1.0
        public var exportContent = false
        public var dashboardURL: String?
        /// `pipe` for stdio, `tcp` (with the server's address) for HTTP.
        public var serverConnection = TelemetrySettings.ServerConnection.pipe
        /// How the MCP client reaches Argus: `pipe` (stdio), `tcp` for `argus proxy`.
        public var clientTransport = TelemetrySettings.ServerConnection.pipe.transport
        /// Longest content attribute, in bytes; longer ones are cut and marked.
        public var contentLimit = 16 << 10

        public init() {}

        public init(_ settings: TelemetrySettings) {
            sampler = settings.sampler
            samplerRatio = settings.samplerRatio
            exportContent = settings.exportContent
            dashboardURL = settings.dashboardURL
            serverConnection = settings.serverConnection
            clientTransport = settings.clientTransport
        }
    }

    public var options: Options
    private var generator = TraceContext.idGenerator()
    private let dashboardTemplate: [Substring]?

    public init(options: Options) {
        self.options = options
        // Split once: "{call_id}" and "{run_id}" are filled per span without searching the text again.
        dashboardTemplate = options.dashboardURL.map { template in
            var parts: [Substring] = []
            var rest = template[...]
            while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
                parts.append(rest[..<open])
                parts.append(rest[open...close])
                rest = rest[rest.index(after: close)...]
            }
            parts.append(rest)
            return parts
        }
    }

    /// The hop's two spans (SERVER first), or none when the sampler says no.
    public mutating func spans(for call: ExportedCall) -> [Span] {
        // A context Argus injected names its own CLIENT span: the hop then starts the trace.
        let injected = call.parent.map(Self.isInjected) ?? false
        let traceID = call.parent?.traceID ?? TraceContext.newTraceID(using: &generator)
        guard injected ? call.parent?.sampled == true : sampled(traceID: traceID, parent: call.parent) else { return [] }
        let serverSpanID = TraceContext.newSpanID(using: &generator)
        let start = UInt64(max(call.startedAt, 0)) * 1000
        let end = UInt64(max(call.endedAt ?? call.startedAt, call.startedAt, 0)) * 1000
        let name = Self.spanName(call)
        let attributes = self.attributes(call)

        var status = Status()
        if let errorType = call.errorType {
            status.code = .error
            // A JSON-RPC error's message is protocol metadata; a tool's error text is its result (content).
            if call.errorCode != nil || options.exportContent { status.message = call.errorMessage ?? errorType }
        }

        var server = Span()
        server.traceID = Data(traceID)
        server.spanID = Data(serverSpanID)
        if let parent = call.parent {
            if !injected { server.parentSpanID = Data(parent.spanID) }
            server.traceState = parent.traceState ?? ""
        }
        server.name = name
        server.kind = .server
        server.startTimeUnixNano = start
        server.endTimeUnixNano = end
        // Each span of the hop describes its own connection: the one facing the MCP server is the
        // session's (tcp to a URL, or the pipe to a child); the one facing the client is the client's (stdio, or
        // tcp for `argus proxy`).
        // (A server's own request, sampling or elicitation, arrives from the server.)
        let clientSpanFacesServer = call.direction == .clientToServer
        server.attributes = attributes + connectionAttributes(facesServer: !clientSpanFacesServer)
        server.status = status

        var client = Span()
        client.traceID = Data(traceID)
        client.spanID = Data(injected ? call.parent?.spanID ?? [] : TraceContext.newSpanID(using: &generator))
        client.parentSpanID = Data(serverSpanID)
        client.traceState = server.traceState
        client.name = name
        client.kind = .client
        client.startTimeUnixNano = start
        client.endTimeUnixNano = end
        client.attributes = attributes + connectionAttributes(facesServer: clientSpanFacesServer)
        if call.direction == .clientToServer {
            client.attributes.append(.string("peer.service", call.server))
        }
        client.status = status
        return [server, client]
    }

    /// Whether a request's trace context is one `TraceContextInjector` put there: its
    /// `tracestate` has an `argus` member (a process token of 16 hex digits).
    static func isInjected(_ context: TraceContext) -> Bool {
        guard let state = context.traceState else { return false }
        return state.split(separator: ",").contains { member in
            let parts = member.trimmingSpaces.split(separator: "=", maxSplits: 1)
            return parts.count == 2 && parts[0] == "argus" && parts[1].count == 16 && Hex.decode(parts[1]) != nil
        }
    }

    /// `{mcp.method.name} {target}`, the target being the tool or prompt name (low cardinality);
    /// resource URIs are left out of names, as the conventions advise.
    public static func spanName(_ call: ExportedCall) -> String {
        if let target = lowCardinalityTarget(call) { return "\(call.method) \(target)" }
        return call.method
    }

    static func lowCardinalityTarget(_ call: ExportedCall) -> String? {
        switch call.method {
        case "tools/call": return call.tool
        case "prompts/get": return call.target
        default: return nil
        }
    }

    func attributes(_ call: ExportedCall) -> [KeyValue] {
        var list: [KeyValue] = [.string("mcp.method.name", call.method)]
        if call.method == "tools/call" {
            if let tool = call.tool { list.append(.string("gen_ai.tool.name", tool)) }
            list.append(.string("gen_ai.operation.name", "execute_tool"))
        }
        if call.method == "prompts/get", let prompt = call.target { list.append(.string("gen_ai.prompt.name", prompt)) }
        if call.method.hasPrefix("resources/") || call.method == "notifications/resources/updated", let uri = call.target {
            list.append(.string("mcp.resource.uri", uri))
        }
        if let id = call.jsonrpcID, id != "null" {
            // A string id is JSON text in quotes: its value, unescaped; a number is its own text.
            let text = id.hasPrefix("\"") ? (try? JSONParser.parse(id))?.stringValue ?? id : id
            list.append(.string("jsonrpc.request.id", text))
        }
        if let version = call.protocolVersion { list.append(.string("mcp.protocol.version", version)) }
        if let errorType = call.errorType { list.append(.string("error.type", errorType)) }
        if let code = call.errorCode { list.append(.string("rpc.response.status_code", String(code))) }
        list.append(.string("argus.server.name", call.server))
        if let status = call.status { list.append(.string("argus.call.status", status.rawValue)) }
        if let id = call.callID { list.append(.int("argus.call.id", id)) }
        if let id = call.runID { list.append(.int("argus.run.id", id)) }
        if let id = call.replayOf { list.append(.int("argus.replay_of", id)) }
        if let template = dashboardTemplate, let id = call.callID {
            var url = ""
            for part in template {
                switch part {
                case "{call_id}": url += String(id)
                case "{run_id}": url += call.runID.map(String.init) ?? ""
                default: url += part
                }
            }
            list.append(.string("argus.call.url", url))
        }
        if options.exportContent && call.method == "tools/call" {
            if let arguments = call.arguments { list.append(.string("gen_ai.tool.call.arguments", cut(arguments))) }
            if let result = call.result { list.append(.string("gen_ai.tool.call.result", cut(result))) }
        }
        return list
    }

    /// `network.transport` (and the server's address) of the connection a span faces.
    private func connectionAttributes(facesServer: Bool) -> [KeyValue] {
        guard facesServer else { return [.string("network.transport", options.clientTransport)] }
        let connection = options.serverConnection
        var list: [KeyValue] = [.string("network.transport", connection.transport)]
        if let address = connection.address { list.append(.string("server.address", address)) }
        if let port = connection.port { list.append(.int("server.port", Int64(port))) }
        return list
    }

    private func cut(_ text: String) -> String {
        if text.utf8.count <= options.contentLimit { return text }
        let kept = String(decoding: text.utf8.prefix(options.contentLimit), as: UTF8.self)
        return kept + "…[cut at \(options.contentLimit) of \(text.utf8.count) bytes]"
    }

    /// The OpenTelemetry samplers: a parent-based sampler follows the caller's decision;
    /// the ratio sampler keeps a trace when the low 8 bytes of its id fall below the ratio
    /// (the same answer for every span of the trace, in every process).
    func sampled(traceID: [UInt8], parent: TraceContext?) -> Bool {
        switch options.sampler {
        case .alwaysOn: return true
        case .alwaysOff: return false
        case .traceIDRatio: return Self.ratioSampled(traceID, options.samplerRatio)
        case .parentBasedAlwaysOn: return parent?.sampled ?? true
        case .parentBasedAlwaysOff: return parent?.sampled ?? false
        case .parentBasedTraceIDRatio: return parent?.sampled ?? Self.ratioSampled(traceID, options.samplerRatio)
        }
    }

    static func ratioSampled(_ traceID: [UInt8], _ ratio: Double) -> Bool {
        if ratio >= 1 { return true }
        if ratio <= 0 { return false }
        var low: UInt64 = 0
        for byte in traceID.suffix(8) { low = low << 8 | UInt64(byte) }
        return Double(low >> 1) < ratio * Double(UInt64.max >> 1)
    }
}
