import ArgusCore

/// One row of `recorder_events`: a recording problem that was overcome (e.g. "recording resumed
/// after 3.2 s (the database is locked)"), kept so a pause is visible later, not only on a stderr
/// nobody reads.
public struct RecorderEvent: Sendable {
    /// The database id; 0 until the event is stored.
    public var id: Int64
    public var timestamp: Int64
    /// The run it happened in, when it belongs to one.
    public var runID: Int64?
    /// `write_retry`, …
    public var kind: String
    public var message: String

    public init(id: Int64 = 0, timestamp: Int64, runID: Int64? = nil, kind: String, message: String) {
        self.id = id
        self.timestamp = timestamp
        self.runID = runID
        self.kind = kind
        self.message = message
    }
}

extension RecorderEvent: TableRecord {
    enum Columns: String, TableColumn {
        case id
        case timestamp = "ts"
        case runID = "run_id"
        case kind, message
    }

    static let table = Table<RecorderEvent>("recorder_events", generated: [.id])

    static let blank = RecorderEvent(timestamp: 0, kind: "", message: "")

    mutating func decode(_ column: Columns, from value: some ColumnValue) throws {
        switch column {
        case .id: id = try value.decode()
        case .timestamp: timestamp = try value.decode()
        case .runID: runID = try value.decode()
        case .kind: kind = try value.decode()
        case .message: message = try value.decode()
        }
    }

    func encode(_ column: Columns) -> SQLiteValue {
        switch column {
        case .id: id.databaseValue
        case .timestamp: timestamp.databaseValue
        case .runID: runID.databaseValue
        case .kind: kind.databaseValue
        case .message: message.databaseValue
        }
    }
}
