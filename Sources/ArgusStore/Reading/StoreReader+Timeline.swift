import ArgusCore

extension StoreReader {
    public func timeline(run: Int64, _ filter: TimelineFilter) throws -> [TimelineEntry] {
        var conditions = Conditions(["m.run_id = ?", "m.seq > ?", "m.kind NOT IN ('response', 'error')"])
        var arguments: [SQLiteValue] = [.int(run), .int(filter.afterSeq)]
        if let kinds = filter.kinds {
            var messageKinds: [String] = []
            if kinds.contains(.call) || kinds.contains(.pending) { messageKinds.append("request") }
            if kinds.contains(.notification) || kinds.contains(.transport) { messageKinds.append("notification") }
            if kinds.contains(.other) { messageKinds += ["batch", "invalid"] }
            conditions.add("m.kind IN (" + (messageKinds.isEmpty ? "NULL" : messageKinds.map { "'\($0)'" }.joined(separator: ", ")) + ")")
            if kinds.contains(.call) != kinds.contains(.pending) {
                conditions.add(
                    kinds.contains(.call)
                        ? "(m.kind != 'request' OR calls.id IS NOT NULL)"
                        : "(m.kind != 'request' OR calls.id IS NULL)")
            }
            if kinds.contains(.notification) != kinds.contains(.transport) {
                let transport = "m.method = '\(TransportEvent.method)'"
                conditions.add("(m.kind != 'notification' OR " + (kinds.contains(.transport) ? transport : "NOT (\(transport))") + ")")
            }
        }
        conditions.add("m.method = ?", ifSet: filter.method)
        arguments += conditions.arguments
        // A batch's calls all point at the batch's frame: one entry per call, and none for the frame itself.
        var entries: [TimelineEntry] = []
        try connection.forEach(
            TimelineFrame.self, CallRecord.self, scope: "call",
            """
            SELECT m.seq, m.ts, m.direction, m.kind, m.method, m.size, CASE WHEN calls.id IS NULL THEN m.body END AS body,
                   calls.id AS call_id, \(CallRecord.table.selection(scope: "call"))
            FROM messages m LEFT JOIN calls ON calls.run_id = m.run_id AND calls.request_seq = m.seq
            \(conditions.sql) ORDER BY m.seq, calls.id LIMIT ?
            """, arguments + [.int(Int64(filter.limit))]
        ) { frame, call in
            let call = frame.callID != nil ? try call() : nil
            let kind: TimelineEntry.Kind =
                call != nil
                ? .call
                : frame.kind == .request
                    ? .pending
                    : frame.kind != .notification ? .other : frame.method == TransportEvent.method ? .transport : .notification
            entries.append(
                TimelineEntry(
                    seq: frame.seq, timestamp: frame.timestamp, direction: frame.direction, kind: kind,
                    method: frame.method, size: frame.size, call: call, body: frame.body))
        }
        return entries
    }
}

/// The frame part of a timeline row: a message, and the id of the call it starts (if any).
private struct TimelineFrame: FetchableRecord {
    enum Columns: String, TableColumn {
        case seq
        case timestamp = "ts"
        case direction, kind, method, size, body
        case callID = "call_id"
    }

    static let blank = TimelineFrame()

    var seq = 0
    var timestamp: Int64 = 0
    var direction = Direction.clientToServer
    var kind = MessageKind.invalid
    var method: String?
    var size = 0
    var body: String?
    var callID: Int64?

    mutating func decode(_ column: Columns, from value: some ColumnValue) throws {
        switch column {
        case .seq: seq = try value.decode()
        case .timestamp: timestamp = try value.decode()
        case .direction: direction = try value.decode()
        case .kind: kind = try value.decode()
        case .method: method = try value.decode()
        case .size: size = try value.decode()
        case .body: body = try value.decode()
        case .callID: callID = try value.decode()
        }
    }
}
