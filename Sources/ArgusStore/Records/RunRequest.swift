/// One row of `run_requests`: "begin a new run" or "end run N", asked by the CLI or the
/// dashboard. The `argus wrap` processes are separate from whoever asks, and the database is the
/// one thing they share: each wrap reads the new rows about once a second (`RunRequestWatcher`
/// in ArgusProxy). No port, no socket, no signal — and a wrap started before the dashboard hears
/// it too.
public struct RunRequest: Sendable {
    /// The database id; 0 until the request is stored.
    public var id: Int64
    public var requestedAt: Int64
    /// Begin a new run of this server's wraps (nil: of every wrap).
    public var server: String?
    /// End this run (its wrap goes on in a new, unnamed run).
    public var runID: Int64?
    public var label: String?
    /// `cli` or `dashboard`, for the ended run's detail.
    public var requestedBy: String

    public init(id: Int64 = 0, requestedAt: Int64, server: String?, runID: Int64?, label: String?, requestedBy: String) {
        self.id = id
        self.requestedAt = requestedAt
        self.server = server
        self.runID = runID
        self.label = label
        self.requestedBy = requestedBy
    }
}

extension RunRequest: TableRecord {
    enum Columns: String, TableColumn {
        case id
        case requestedAt = "requested_at"
        case server
        case runID = "run_id"
        case label
        case requestedBy = "requested_by"
    }

    static let table = Table<RunRequest>("run_requests", generated: [.id])

    static let blank = RunRequest(requestedAt: 0, server: nil, runID: nil, label: nil, requestedBy: "")

    mutating func decode(_ column: Columns, from value: some ColumnValue) throws {
        switch column {
        case .id: id = try value.decode()
        case .requestedAt: requestedAt = try value.decode()
        case .server: server = try value.decode()
        case .runID: runID = try value.decode()
        case .label: label = try value.decode()
        case .requestedBy: requestedBy = try value.decode()
        }
    }

    func encode(_ column: Columns) -> SQLiteValue {
        switch column {
        case .id: id.databaseValue
        case .requestedAt: requestedAt.databaseValue
        case .server: server.databaseValue
        case .runID: runID.databaseValue
        case .label: label.databaseValue
        case .requestedBy: requestedBy.databaseValue
        }
    }
}
