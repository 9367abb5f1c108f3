import ArgusCore

extension StoreReader {
    public func faults(run: Int64) throws -> [FaultRecord] {
        try connection.fetchAll(
            FaultRecord.self, "SELECT \(FaultRecord.table.selection) FROM faults WHERE run_id = ? ORDER BY id",
            [.int(run)])
    }

    public func faults(of calls: [CallRecord]) throws -> [Int64: FaultRecord] {
        guard !calls.isEmpty else { return [:] }
        // The calls' requests (run, position) are integers, so they go into the SQL as text (no limit on how many).
        let requests = calls.map { "(\($0.runID), \($0.requestSeq))" }.joined(separator: ", ")
        let faults = try connection.fetchAll(
            FaultRecord.self,
            """
            SELECT \(FaultRecord.table.selection) FROM faults WHERE (faults.run_id, faults.request_seq) IN (VALUES \(requests))
            """)
        struct Request: Hashable {
            var runID: Int64
            var seq: Int
        }
        var byRequest: [Request: FaultRecord] = [:]
        for fault in faults {
            if let seq = fault.requestSeq { byRequest[Request(runID: fault.runID, seq: seq)] = fault }
        }
        var result: [Int64: FaultRecord] = [:]
        for call in calls {
            if let fault = byRequest[Request(runID: call.runID, seq: call.requestSeq)] { result[call.id] = fault }
        }
        return result
    }
}
