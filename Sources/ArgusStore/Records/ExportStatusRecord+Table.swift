import ArgusCore

extension ExportStatusRecord: TableRecord {
    enum Columns: String, TableColumn {
        case id, exporter
        case argusPID = "argus_pid"
        case server, endpoint
        case startedAt = "started_at"
        case updatedAt = "updated_at"
        case
            spansExported = "spans_exported"
        case spansDropped = "spans_dropped"
        case spansRejected = "spans_rejected"
        case
            spansQueued = "spans_queued"
        case metricExports = "metric_exports"
        case metricExportsFailed = "metric_exports_failed"
        case
            lastError = "last_error"
        case lastErrorAt = "last_error_at"
        case finished
    }

    /// One row per exporter and argus process: the first report inserts it, each later one
    /// updates it by id (`ExportStatusWriter`).
    static let table = Table<ExportStatusRecord>("export_status", generated: [.id])

    static let blank = ExportStatusRecord(exporter: "", argusPID: 0, server: "", endpoint: "", startedAt: 0, updatedAt: 0)

    mutating func decode(_ column: Columns, from value: some ColumnValue) throws {
        switch column {
        case .id: id = try value.decode()
        case .exporter: exporter = try value.decode()
        case .argusPID: argusPID = try value.decode()
        case .server: server = try value.decode()
        case .endpoint: endpoint = try value.decode()
        case .startedAt: startedAt = try value.decode()
        case .updatedAt: updatedAt = try value.decode()
        case .spansExported: spansExported = try value.decode()
        case .spansDropped: spansDropped = try value.decode()
        case .spansRejected: spansRejected = try value.decode()
        case .spansQueued: spansQueued = try value.decode()
        case .metricExports: metricExports = try value.decode()
        case .metricExportsFailed: metricExportsFailed = try value.decode()
        case .lastError: lastError = try value.decode()
        case .lastErrorAt: lastErrorAt = try value.decode()
        case .finished: finished = try value.decode()
        }
    }

    func encode(_ column: Columns) -> SQLiteValue {
        switch column {
        case .id: id.databaseValue
        case .exporter: exporter.databaseValue
        case .argusPID: argusPID.databaseValue
        case .server: server.databaseValue
        case .endpoint: endpoint.databaseValue
        case .startedAt: startedAt.databaseValue
        case .updatedAt: updatedAt.databaseValue
        case .spansExported: spansExported.databaseValue
        case .spansDropped: spansDropped.databaseValue
        case .spansRejected: spansRejected.databaseValue
        case .spansQueued: spansQueued.databaseValue
        case .metricExports: metricExports.databaseValue
        case .metricExportsFailed: metricExportsFailed.databaseValue
        case .lastError: lastError.databaseValue
        case .lastErrorAt: lastErrorAt.databaseValue
        case .finished: finished.databaseValue
        }
    }
}
