import ArgusCore

extension MessageRecord: TableRecord {
    enum Columns: String, TableColumn {
        case id
        case runID = "run_id"
        case seq, direction
        case timestamp = "ts"
        case kind, method
        case jsonrpcID = "jsonrpc_id"
        case body, size, redacted
    }

    /// A frame already stored at its position (`run_id`, `seq`) is kept as it is.
    static let table = Table<MessageRecord>("messages", generated: [.id], onConflict: .ignore)

    static let blank = MessageRecord(
        seq: 0, direction: .clientToServer, timestamp: 0, kind: .invalid, method: nil, jsonrpcID: nil,
        body: "", size: 0, redacted: false)

    mutating func decode(_ column: Columns, from value: some ColumnValue) throws {
        switch column {
        case .id: id = try value.decode()
        case .runID: runID = try value.decode()
        case .seq: seq = try value.decode()
        case .direction: direction = try value.decode()
        case .timestamp: timestamp = try value.decode()
        case .kind: kind = try value.decode()
        case .method: method = try value.decode()
        case .jsonrpcID: jsonrpcID = try value.decode()
        case .body: body = try value.decode()
        case .size: size = try value.decode()
        case .redacted: redacted = try value.decode()
        }
    }

    func encode(_ column: Columns) -> SQLiteValue {
        switch column {
        case .id: id.databaseValue
        case .runID: runID.databaseValue
        case .seq: seq.databaseValue
        case .direction: direction.databaseValue
        case .timestamp: timestamp.databaseValue
        case .kind: kind.databaseValue
        case .method: method.databaseValue
        case .jsonrpcID: jsonrpcID.databaseValue
        case .body: body.databaseValue
        case .size: size.databaseValue
        case .redacted: redacted.databaseValue
        }
    }
}
