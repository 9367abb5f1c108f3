import ArgusCore

extension SQLiteReader {
    public func faults(run: Int64) throws -> [FaultRecord] {
        try db.fetchAll(
            FaultRecord.self, "SELECT \(FaultRecord.table.selection) FROM faults WHERE run_id = ? ORDER BY id",
            [.int(run)])
    }

    public func faults(of calls: [CallRecord]) throws -> [Int64: FaultRecord] {
        guard !calls.isEmpty else { return [:] }
        // The calls' requests (run, position) as one JSON parameter: no limit on how many.
        let requests = "[" + calls.map { "[\($0.runID),\($0.requestSeq)]" }.joined(separator: ",") + "]"
        let faults = try db.fetchAll(
            FaultRecord.self,
            """
            SELECT \(FaultRecord.table.selection) FROM json_each(?) p JOIN faults
              ON faults.run_id = json_extract(p.value, '$[0]') AND faults.request_seq = json_extract(p.value, '$[1]')
            """, [.text(requests)])
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
