import ArgusCore

extension ServerLogRecord: TableRecord {
    enum Columns: String, TableColumn {
        case id
        case runID = "run_id"
        case timestamp = "ts"
        case line
    }

    static let table = Table<ServerLogRecord>("server_logs", generated: [.id])

    static let blank = ServerLogRecord(timestamp: 0, line: "")

    mutating func decode(_ column: Columns, from value: some ColumnValue) throws {
        switch column {
        case .id: id = try value.decode()
        case .runID: runID = try value.decode()
        case .timestamp: timestamp = try value.decode()
        case .line: line = try value.decode()
        }
    }

    func encode(_ column: Columns) -> SQLiteValue {
        switch column {
        case .id: id.databaseValue
        case .runID: runID.databaseValue
        case .timestamp: timestamp.databaseValue
        case .line: line.databaseValue
        }
    }
}
