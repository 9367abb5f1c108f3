/// One row of `feed_changes`: something was inserted, updated or deleted, in commit order.
public struct FeedChange: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case call
        case callDeleted = "call_deleted"
        case run
        case runDeleted = "run_deleted"
        case scriptOutput = "script_output"
        case scriptStatus = "script_status"
    }

    public var seq: Int64
    /// Nil for kinds this version does not know (the first row, or rows a newer argus wrote).
    public var kind: Kind?
    public var rowID: Int64
}

extension FeedChange: FetchableRecord {
    enum Columns: String, TableColumn {
        case seq, kind
        case rowID = "row_id"
    }

    static let blank = FeedChange(seq: 0, kind: nil, rowID: 0)

    mutating func decode(_ column: Columns, from value: some ColumnValue) throws {
        switch column {
        case .seq: seq = try value.decode()
        case .kind: kind = Kind(rawValue: try value.decode())
        case .rowID: rowID = try value.decode()
        }
    }
}
