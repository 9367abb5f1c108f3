import ArgusCore

/// What one exporter in one argus process has done: the `export_status` table.
public struct ExportStatusRow: Sendable, Equatable {
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

    public var json: JSONValue {
        var o: JSONObject = [
            "exporter": .string(exporter), "argus_pid": .number(String(argusPID)), "server": .string(server),
            "endpoint": .string(endpoint), "started_at": .string(TimeFormat.iso8601(micros: startedAt)),
            "updated_at": .string(TimeFormat.iso8601(micros: updatedAt)),
            "spans_exported": .number(String(spansExported)), "spans_dropped": .number(String(spansDropped)),
            "spans_rejected": .number(String(spansRejected)), "spans_queued": .number(String(spansQueued)),
            "metric_exports": .number(String(metricExports)), "metric_exports_failed": .number(String(metricExportsFailed)),
            "finished": .bool(finished),
        ]
        o["last_error"] = lastError.map(JSONValue.string) ?? .null
        o["last_error_at"] = lastErrorAt.map { .string(TimeFormat.iso8601(micros: $0)) } ?? .null
        return .object(o)
    }
}

/// Keeps one exporter's row up to date, on its own connection (the exporter's thread, never
/// the recording's writer: a status must not wait behind a busy recording, nor hold it up).
public final class ExportStatusWriter {
    private let path: String
    private var connection: SQLiteConnection?
    private var rowID: Int64?

    public init(path: String) { self.path = path }

    /// Writes the row; errors are returned, not thrown: a status that cannot be written is not worth failing for.
    @discardableResult
    public func write(_ row: ExportStatusRow) -> String? {
        do {
            let db: SQLiteConnection
            if let connection {
                db = connection
            } else {
                db = try ArgusDatabase.openForWriting(path: path, busyTimeoutMillis: 1000)
                connection = db
            }
            let values: [SQLiteValue] = [
                .text(row.exporter), .int(row.argusPID), .text(row.server), .text(row.endpoint), .int(row.startedAt),
                .int(row.updatedAt), .int(row.spansExported), .int(row.spansDropped), .int(row.spansRejected),
                .int(row.spansQueued), .int(row.metricExports), .int(row.metricExportsFailed), SQLiteValue(row.lastError),
                SQLiteValue(row.lastErrorAt), SQLiteValue(row.finished),
            ]
            if let rowID {
                try db.run("""
                    UPDATE export_status SET exporter = ?, argus_pid = ?, server = ?, endpoint = ?, started_at = ?,
                        updated_at = ?, spans_exported = ?, spans_dropped = ?, spans_rejected = ?, spans_queued = ?,
                        metric_exports = ?, metric_exports_failed = ?, last_error = ?, last_error_at = ?, finished = ?
                    WHERE id = ?
                    """, values + [.int(rowID)])
            } else {
                try db.run("""
                    INSERT INTO export_status (exporter, argus_pid, server, endpoint, started_at, updated_at, spans_exported,
                        spans_dropped, spans_rejected, spans_queued, metric_exports, metric_exports_failed, last_error,
                        last_error_at, finished)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, values)
                rowID = db.lastInsertRowID
            }
            return nil
        } catch {
            connection = nil
            return "\(error)"
        }
    }
}

extension ArgusReader {
    /// Exporters that reported since `since` (µs), newest first.
    public func exportStatuses(since: Int64 = 0) throws -> [ExportStatusRow] {
        try db.query("""
            SELECT exporter, argus_pid, server, endpoint, started_at, updated_at, spans_exported, spans_dropped,
                   spans_rejected, spans_queued, metric_exports, metric_exports_failed, last_error, last_error_at, finished
            FROM export_status WHERE updated_at >= ? ORDER BY updated_at DESC
            """, [.int(since)]).map { r in
            var row = ExportStatusRow(exporter: r.text(0) ?? "", argusPID: r.int(1) ?? 0, server: r.text(2) ?? "",
                                      endpoint: r.text(3) ?? "", startedAt: r.int(4) ?? 0, updatedAt: r.int(5) ?? 0)
            row.spansExported = r.int(6) ?? 0
            row.spansDropped = r.int(7) ?? 0
            row.spansRejected = r.int(8) ?? 0
            row.spansQueued = r.int(9) ?? 0
            row.metricExports = r.int(10) ?? 0
            row.metricExportsFailed = r.int(11) ?? 0
            row.lastError = r.text(12)
            row.lastErrorAt = r.int(13)
            row.finished = r.bool(14)
            return row
        }
    }
}
