import ArgusCore

extension FaultRecord: TableRecord {
    enum Columns: String, TableColumn {
        case id
        case runID = "run_id"
        case requestSeq = "request_seq"
        case responseSeq = "response_seq"
        case timestamp = "ts"
        case tool, kind,
            source, detail
    }

    static let table = Table<FaultRecord>("faults", generated: [.id])

    static let blank = FaultRecord(runID: 0, requestSeq: nil, timestamp: 0, tool: nil, kind: "", source: "", detail: nil)

    mutating func decode(_ column: Columns, from value: some ColumnValue) throws {
        switch column {
        case .id: id = try value.decode()
        case .runID: runID = try value.decode()
        case .requestSeq: requestSeq = try value.decode()
        case .responseSeq: responseSeq = try value.decode()
        case .timestamp: timestamp = try value.decode()
        case .tool: tool = try value.decode()
        case .kind: kind = try value.decode()
        case .source: source = try value.decode()
        case .detail: detail = try value.decode()
        }
    }

    func encode(_ column: Columns) -> SQLiteValue {
        switch column {
        case .id: id.databaseValue
        case .runID: runID.databaseValue
        case .requestSeq: requestSeq.databaseValue
        case .responseSeq: responseSeq.databaseValue
        case .timestamp: timestamp.databaseValue
        case .tool: tool.databaseValue
        case .kind: kind.databaseValue
        case .source: source.databaseValue
        case .detail: detail.databaseValue
        }
    }
}
