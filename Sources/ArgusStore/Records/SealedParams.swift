/// One row of `sealed_params`: the original params of a redacted request, encrypted with the
/// key `keyID` names: what a replay needs to send the real values.
struct SealedParams: Sendable {
    var runID: Int64
    var seq: Int
    var keyID: String
    var sealed: [UInt8]
}

extension SealedParams: TableRecord {
    enum Columns: String, TableColumn {
        case runID = "run_id"
        case seq
        case keyID = "key_id"
        case sealed
    }

    static let table = Table<SealedParams>("sealed_params", onConflict: .replace)

    static let blank = SealedParams(runID: 0, seq: 0, keyID: "", sealed: [])

    mutating func decode(_ column: Columns, from value: some ColumnValue) throws {
        switch column {
        case .runID: runID = try value.decode()
        case .seq: seq = try value.decode()
        case .keyID: keyID = try value.decode()
        case .sealed: sealed = try value.decode()
        }
    }

    func encode(_ column: Columns) -> SQLiteValue {
        switch column {
        case .runID: runID.databaseValue
        case .seq: seq.databaseValue
        case .keyID: keyID.databaseValue
        case .sealed: sealed.databaseValue
        }
    }
}
