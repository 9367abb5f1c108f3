import ArgusCore
import ArgusSystem
import ArgusStore

/// The exporter's CPU work, without threads or I/O: committed records in, spans out, metric
/// samples aggregated. Single-threaded: `OTLPExporter` calls it under its lock.
public struct TelemetryPipeline {
    private var assembler: CallAssembler
    private var builder: SpanBuilder
    public private(set) var metrics: MetricsAggregator
    private let tracing: Bool
    private let measuring: Bool

    public init(settings: TelemetrySettings) {
        assembler = CallAssembler(captureContent: settings.exportContent)
        builder = SpanBuilder(options: SpanBuilder.Options(settings))
        metrics = MetricsAggregator(
            startNanos: UInt64(max(SystemClock.wallMicros(), 0)) * 1000,
            serverConnection: settings.serverConnection)
        tracing = settings.traces != nil
        measuring = settings.metrics != nil
    }

    /// The spans for what this batch completed (none when traces are not exported).
    public mutating func consume(_ batch: CommittedBatch) -> [Span] {
        var events: [CallAssembler.Event] = []
        assembler.consume(batch, into: &events)
        var spans: [Span] = []
        for event in events {
            switch event {
            case .call(let call):
                if measuring { metrics.record(call: call) }
                if tracing { spans += builder.spans(for: call) }
            case .sessionEnded(let server, let version, let seconds, let errorType):
                if measuring { metrics.recordSession(server: server, protocolVersion: version, seconds: seconds, errorType: errorType) }
            case .scriptMetric(let output, let server):
                if measuring { metrics.record(scriptMetric: output, server: server) }
            }
        }
        return spans
    }
}
