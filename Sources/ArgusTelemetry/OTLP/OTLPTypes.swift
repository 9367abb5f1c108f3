// Short names for the OTLP message types generated from opentelemetry-proto (OTLP/Generated).

public typealias Span = Opentelemetry_Proto_Trace_V1_Span
public typealias Status = Opentelemetry_Proto_Trace_V1_Status
public typealias KeyValue = Opentelemetry_Proto_Common_V1_KeyValue
typealias AnyValue = Opentelemetry_Proto_Common_V1_AnyValue
typealias Resource = Opentelemetry_Proto_Resource_V1_Resource
typealias InstrumentationScope = Opentelemetry_Proto_Common_V1_InstrumentationScope
public typealias Metric = Opentelemetry_Proto_Metrics_V1_Metric
public typealias ExportTraceRequest = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest
public typealias ExportMetricsRequest = Opentelemetry_Proto_Collector_Metrics_V1_ExportMetricsServiceRequest

extension KeyValue {
    static func string(_ key: String, _ value: String) -> KeyValue {
        var kv = KeyValue()
        kv.key = key
        kv.value.stringValue = value
        return kv
    }

    static func int(_ key: String, _ value: Int64) -> KeyValue {
        var kv = KeyValue()
        kv.key = key
        kv.value.intValue = value
        return kv
    }
}
