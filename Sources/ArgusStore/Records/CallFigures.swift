/// What the figures need of a call (a part of `calls`, read in bulk): the dashboard's
/// in-memory index and `argus stats` are built from these.
public struct CallFigures: Sendable {
    public var id: Int64
    public var server: String
    public var method: String
    public var tool: String?
    public var latencyMicros: Int64?
    public var isError: Bool
    public var startedAt: Int64
}

extension CallFigures: FetchableRecord {
    enum Columns: String, TableColumn {
        case id, server, method, tool
        case latencyMicros = "latency_us"
        case isError = "is_error"
        case startedAt = "started_at"
    }

    static let blank = CallFigures(id: 0, server: "", method: "", tool: nil, latencyMicros: nil, isError: false, startedAt: 0)

    /// The select list, over `calls`.
    static let selection = Columns.allCases.map { "calls.\($0.rawValue)" }.joined(separator: ", ")

    mutating func decode(_ column: Columns, from value: some ColumnValue) throws {
        switch column {
        case .id: id = try value.decode()
        case .server: server = try value.decode()
        case .method: method = try value.decode()
        case .tool: tool = try value.decode()
        case .latencyMicros: latencyMicros = try value.decode()
        case .isError: isError = try value.decode()
        case .startedAt: startedAt = try value.decode()
        }
    }
}
