import ArgusCore
import Foundation
import SwiftProtobuf

/// OTLP request bodies: binary protobuf (swift-protobuf), or OTLP/JSON, which is protobuf's
/// JSON mapping with two differences the OTLP specification makes: trace and span ids are
/// hex strings, not base64, and enums are integers.
public struct OTLPEncoding: Sendable {
    /// Who is reporting: one resource for everything this process exports.
    public struct Identity: Sendable {
        public var serviceName: String
        public var attributes: [(String, String)]

        public init(serviceName: String, attributes: [(String, String)] = []) {
            self.serviceName = serviceName
            self.attributes = attributes
        }
    }

    let resource: Resource
    let scope: InstrumentationScope

    public init(identity: Identity, processID: Int32? = nil) {
        var resource = Resource()
        resource.attributes = [.string("service.name", identity.serviceName)]
        for (key, value) in identity.attributes where key != "service.name" {
            resource.attributes.append(.string(key, value))
        }
        let present = Set(resource.attributes.map(\.key))
        for (key, value) in [
            ("telemetry.sdk.name", "argus"), ("telemetry.sdk.language", "swift"),
            ("telemetry.sdk.version", argusVersion),
        ] where !present.contains(key) {
            resource.attributes.append(.string(key, value))
        }
        if let processID, !present.contains("process.pid") { resource.attributes.append(.int("process.pid", Int64(processID))) }
        self.resource = resource
        var scope = InstrumentationScope()
        scope.name = "argus"
        scope.version = argusVersion
        self.scope = scope
    }

    public func traceRequest(_ spans: [Span]) -> ExportTraceRequest {
        var scopeSpans = Opentelemetry_Proto_Trace_V1_ScopeSpans()
        scopeSpans.scope = scope
        scopeSpans.spans = spans
        var resourceSpans = Opentelemetry_Proto_Trace_V1_ResourceSpans()
        resourceSpans.resource = resource
        resourceSpans.scopeSpans = [scopeSpans]
        var request = ExportTraceRequest()
        request.resourceSpans = [resourceSpans]
        return request
    }

    public func metricsRequest(_ metrics: [Metric]) -> ExportMetricsRequest {
        var scopeMetrics = Opentelemetry_Proto_Metrics_V1_ScopeMetrics()
        scopeMetrics.scope = scope
        scopeMetrics.metrics = metrics
        var resourceMetrics = Opentelemetry_Proto_Metrics_V1_ResourceMetrics()
        resourceMetrics.resource = resource
        resourceMetrics.scopeMetrics = [scopeMetrics]
        var request = ExportMetricsRequest()
        request.resourceMetrics = [resourceMetrics]
        return request
    }

    public static func body(_ message: some SwiftProtobuf.Message, as wire: TelemetrySettings.WireProtocol) throws -> [UInt8] {
        switch wire {
        case .protobuf:
            return try message.serializedBytes()
        case .json:
            return Array(try json(message, pretty: false).utf8)
        }
    }

    /// OTLP/JSON text of a request.
    public static func json(_ message: some SwiftProtobuf.Message, pretty: Bool) throws -> String {
        var options = JSONEncodingOptions()
        options.alwaysPrintEnumsAsInts = true
        let text = try message.jsonString(options: options)
        let tree = try JSONParser.parse(text)
        return JSONWriter.string(hexIDs(tree), pretty: pretty)
    }

    private static let idFields: Set<String> = ["traceId", "spanId", "parentSpanId"]

    /// protobuf's JSON mapping writes bytes as base64; OTLP/JSON wants ids in hex.
    static func hexIDs(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            return .object(
                JSONObject(
                    object.members.map { member in
                        if idFields.contains(member.key), let text = member.value.stringValue, let bytes = Data(base64Encoded: text) {
                            return JSONMember(member.key, .string(Hex.encode(Array(bytes))))
                        }
                        return JSONMember(member.key, hexIDs(member.value))
                    }))
        case .array(let items):
            return .array(items.map(hexIDs))
        default:
            return value
        }
    }
}
