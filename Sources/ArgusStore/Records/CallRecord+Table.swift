import ArgusCore

extension CallRecord: TableRecord {
    enum Columns: String, TableColumn {
        case id
        case runID = "run_id"
        case server
        case requestSeq = "request_seq"
        case responseSeq = "response_seq"
        case direction, method, tool,
            target
        case jsonrpcID = "jsonrpc_id"
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case latencyMicros = "latency_us"
        case
            status
        case isError = "is_error"
        case errorCode = "error_code"
        case errorMessage = "error_message"
        case
            progressCount = "progress_count"
        case cancelled
        case bytesIn = "bytes_in"
        case bytesOut = "bytes_out"
        case replayOf = "replay_of"
        case
            round
        case firstCallID = "first_call_id"
        case runKind = "run_kind"
    }

    static let table = Table<CallRecord>(
        "calls", generated: [.id],
        computed: [
            .runKind: "COALESCE((SELECT kind FROM runs WHERE runs.id = calls.run_id), 'wrap')"
        ])

    static let blank = CallRecord(
        server: "", requestSeq: 0, direction: .clientToServer, method: "", jsonrpcID: "", startedAt: 0,
        status: .ok)

    mutating func decode(_ column: Columns, from value: some ColumnValue) throws {
        switch column {
        case .id: id = try value.decode()
        case .runID: runID = try value.decode()
        case .server: server = try value.decode()
        case .requestSeq: requestSeq = try value.decode()
        case .responseSeq: responseSeq = try value.decode()
        case .direction: direction = try value.decode()
        case .method: method = try value.decode()
        case .tool: tool = try value.decode()
        case .target: target = try value.decode()
        case .jsonrpcID: jsonrpcID = try value.decode()
        case .startedAt: startedAt = try value.decode()
        case .endedAt: endedAt = try value.decode()
        case .latencyMicros: latencyMicros = try value.decode()
        case .status: status = try value.decode()
        case .isError: isError = try value.decode()
        case .errorCode: errorCode = try value.decode()
        case .errorMessage: errorMessage = try value.decode()
        case .progressCount: progressCount = try value.decode()
        case .cancelled: cancelled = try value.decode()
        case .bytesIn: bytesIn = try value.decode()
        case .bytesOut: bytesOut = try value.decode()
        case .replayOf: replayOf = try value.decode()
        case .round: round = try value.decode()
        case .firstCallID: firstCallID = try value.decode()
        case .runKind: runKind = try value.decode()
        }
    }

    func encode(_ column: Columns) -> SQLiteValue {
        switch column {
        case .id: id.databaseValue
        case .runID: runID.databaseValue
        case .server: server.databaseValue
        case .requestSeq: requestSeq.databaseValue
        case .responseSeq: responseSeq.databaseValue
        case .direction: direction.databaseValue
        case .method: method.databaseValue
        case .tool: tool.databaseValue
        case .target: target.databaseValue
        case .jsonrpcID: jsonrpcID.databaseValue
        case .startedAt: startedAt.databaseValue
        case .endedAt: endedAt.databaseValue
        case .latencyMicros: latencyMicros.databaseValue
        case .status: status.databaseValue
        case .isError: isError.databaseValue
        case .errorCode: errorCode.databaseValue
        case .errorMessage: errorMessage.databaseValue
        case .progressCount: progressCount.databaseValue
        case .cancelled: cancelled.databaseValue
        case .bytesIn: bytesIn.databaseValue
        case .bytesOut: bytesOut.databaseValue
        case .replayOf: replayOf.databaseValue
        case .round: round.databaseValue
        case .firstCallID: firstCallID.databaseValue
        case .runKind: runKind.databaseValue
        }
    }
}
