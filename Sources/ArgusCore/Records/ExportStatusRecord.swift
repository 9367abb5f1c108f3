/// One row of `export_status`: what one exporter in one argus process has done, as last
/// reported (for `argus diagnose`, the dashboard and `/metrics`).
public struct ExportStatusRecord: Sendable, Equatable {
    /// The row's id; nil until it is first written.
    public var id: Int64?
    public var exporter: String
    public var argusPID: Int64
    public var server: String
    public var endpoint: String
    public var startedAt: Int64
    public var updatedAt: Int64
    public var spansExported: Int64 = 0
    /// Lost because the queue was full (the backend down or slow for long) or still queued at exit.
    public var spansDropped: Int64 = 0
    /// Refused by the backend with an error that retrying cannot fix (a 400, 401, 403, 404, 413).
    public var spansRejected: Int64 = 0
    public var spansQueued: Int64 = 0
    public var metricExports: Int64 = 0
    public var metricExportsFailed: Int64 = 0
    public var lastError: String?
    public var lastErrorAt: Int64?
    public var finished = false

    public init(exporter: String, argusPID: Int64, server: String, endpoint: String, startedAt: Int64, updatedAt: Int64) {
        self.exporter = exporter
        self.argusPID = argusPID
        self.server = server
        self.endpoint = endpoint
        self.startedAt = startedAt
        self.updatedAt = updatedAt
    }
}
