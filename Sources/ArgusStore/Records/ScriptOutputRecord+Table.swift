import ArgusCore

extension ScriptOutputRecord: TableRecord {
    enum Columns: String, TableColumn {
        case id
        case runID = "run_id"
        case requestSeq = "request_seq"
        case timestamp = "ts"
        case script, kind, level, name
        case
            metricKind = "metric_kind"
        case value, labels, message, key, location
        case callID = "call_id"
        case server, tool
    }

    static let table = Table<ScriptOutputRecord>(
        "script_outputs", generated: [.id],
        computed: [
            .callID: "calls.id", .server: "runs.server_name", .tool: "calls.tool",
        ])

    /// What the computed columns are read from: the output's run and call.
    static let source = """
        script_outputs LEFT JOIN runs ON runs.id = script_outputs.run_id
        LEFT JOIN calls ON calls.run_id = script_outputs.run_id AND calls.request_seq = script_outputs.request_seq
        """

    static let blank = ScriptOutputRecord(requestSeq: nil, timestamp: 0, script: "", kind: .log)

    mutating func decode(_ column: Columns, from value: some ColumnValue) throws {
        switch column {
        case .id: id = try value.decode()
        case .runID: runID = try value.decode()
        case .requestSeq: requestSeq = try value.decode()
        case .timestamp: timestamp = try value.decode()
        case .script: script = try value.decode()
        case .kind: kind = try value.decode()
        case .level: level = try value.decode()
        case .name: name = try value.decode()
        case .metricKind: metricKind = try value.decode()
        case .value: self.value = try value.decode()
        case .labels: labels = try value.decode()
        case .message: message = try value.decode()
        case .key: key = try value.decode()
        case .location: location = try value.decode()
        case .callID: callID = try value.decode()
        case .server: server = try value.decode()
        case .tool: tool = try value.decode()
        }
    }

    func encode(_ column: Columns) -> SQLiteValue {
        switch column {
        case .id: id.databaseValue
        case .runID: runID.databaseValue
        case .requestSeq: requestSeq.databaseValue
        case .timestamp: timestamp.databaseValue
        case .script: script.databaseValue
        case .kind: kind.databaseValue
        case .level: level.databaseValue
        case .name: name.databaseValue
        case .metricKind: metricKind.databaseValue
        case .value: value.databaseValue
        case .labels: labels.databaseValue
        case .message: message.databaseValue
        case .key: key.databaseValue
        case .location: location.databaseValue
        case .callID: callID.databaseValue
        case .server: server.databaseValue
        case .tool: tool.databaseValue
        }
    }
}
