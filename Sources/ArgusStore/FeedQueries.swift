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

extension ArgusReader {
    /// The changes after `seq`, oldest first.
    public func feedChanges(after seq: Int64, limit: Int) throws -> [FeedChange] {
        try db.query("SELECT seq, kind, row_id FROM feed_changes WHERE seq > ? ORDER BY seq LIMIT ?",
                     [.int(seq), .int(Int64(limit))]).map { r in
            FeedChange(seq: r.int(0) ?? 0, kind: r.text(1).flatMap(FeedChange.Kind.init(rawValue:)), rowID: r.int(2) ?? 0)
        }
    }

    /// The oldest change still kept and the newest one (`feed_changes` keeps the newest 100,000).
    public func feedRange() throws -> (oldest: Int64, newest: Int64) {
        let row = try db.query("SELECT COALESCE(MIN(seq), 0), COALESCE(MAX(seq), 0) FROM feed_changes").first
        return (row?.int(0) ?? 0, row?.int(1) ?? 0)
    }

    /// Runs `body` in one read transaction: every query in it sees the same snapshot.
    public func snapshot<T>(_ body: () throws -> T) throws -> T {
        try db.execute("BEGIN")
        do {
            let result = try body()
            try db.execute("COMMIT")
            return result
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    /// The calls with these ids (those that still exist), by id.
    public func calls(ids: [Int64]) throws -> [CallSummary] {
        guard !ids.isEmpty else { return [] }
        return try db.query("SELECT \(Self.callColumns) FROM calls c WHERE c.id IN (\(Self.idList(ids))) ORDER BY c.id")
            .map(Self.call)
    }

    /// The runs with these ids (those that still exist), by id.
    public func runs(ids: [Int64]) throws -> [RunSummary] {
        guard !ids.isEmpty else { return [] }
        return try db.query("SELECT \(Self.runColumns) FROM runs WHERE id IN (\(Self.idList(ids))) ORDER BY id").map(Self.run)
    }

    /// The script outputs with these ids, by id.
    public func scriptOutputs(ids: [Int64]) throws -> [ScriptOutputRow] {
        guard !ids.isEmpty else { return [] }
        return try scriptOutputs(where: Conditions(["o.id IN (\(Self.idList(ids)))"]), order: "o.id ASC", limit: ids.count)
    }

    static func idList(_ ids: [Int64]) -> String { ids.map(String.init).joined(separator: ",") }
}
