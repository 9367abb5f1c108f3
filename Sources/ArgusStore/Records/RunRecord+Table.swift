import ArgusCore

extension RunRecord: TableRecord {
    enum Columns: String, TableColumn {
        case id, kind
        case serverName = "server_name"
        case command, args, cwd
        case envNames = "env_names"
        case argusPID = "argus_pid"
        case
            serverPID = "server_pid"
        case previousRunID = "previous_run_id"
        case clientName = "client_name"
        case
            clientVersion = "client_version"
        case serverInfoName = "server_info_name"
        case serverVersion = "server_version"
        case
            protocolVersion = "protocol_version"
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case endReason = "end_reason"
        case
            endDetail = "end_detail"
        case exitStatus = "exit_status"
        case stderrTail = "stderr_tail"
        case droppedFrames = "dropped_frames"
        case
            messageCount = "message_count"
        case callCount = "call_count"
        case errorCount = "error_count"
        case label
        case
            recordingError = "recording_error"
        case argsKeyID = "args_key_id"
        case argsSealed = "args_sealed"
    }

    static let table = Table<RunRecord>("runs", generated: [.id])

    static let blank = RunRecord(serverName: "", command: "", args: [], cwd: nil, envNames: [], startedAt: 0)

    mutating func decode(_ column: Columns, from value: some ColumnValue) throws {
        switch column {
        case .id: id = try value.decode()
        case .kind: kind = try value.decode()
        case .serverName: serverName = try value.decode()
        case .command: command = try value.decode()
        case .args: args = try value.stringArray()
        case .cwd: cwd = try value.decode()
        case .envNames: envNames = try value.stringArray()
        case .argusPID: argusPID = try value.decode()
        case .serverPID: serverPID = try value.decode()
        case .previousRunID: previousRunID = try value.decode()
        case .clientName: clientName = try value.decode()
        case .clientVersion: clientVersion = try value.decode()
        case .serverInfoName: serverInfoName = try value.decode()
        case .serverVersion: serverVersion = try value.decode()
        case .protocolVersion: protocolVersion = try value.decode()
        case .startedAt: startedAt = try value.decode()
        case .endedAt: endedAt = try value.decode()
        case .endReason: endReason = try value.decode()
        case .endDetail: endDetail = try value.decode()
        case .exitStatus: exitStatus = try value.decode()
        case .stderrTail: stderrTail = try value.decode()
        case .droppedFrames: droppedFrames = try value.decode()
        case .messageCount: messageCount = try value.decode()
        case .callCount: callCount = try value.decode()
        case .errorCount: errorCount = try value.decode()
        case .label: label = try value.decode()
        case .recordingError: recordingError = try value.decode()
        case .argsKeyID: argsKeyID = try value.decode()
        case .argsSealed: argsSealed = try value.decode()
        }
    }

    func encode(_ column: Columns) -> SQLiteValue {
        switch column {
        case .id: id.databaseValue
        case .kind: kind.databaseValue
        case .serverName: serverName.databaseValue
        case .command: command.databaseValue
        case .args: .text(Self.jsonArray(args))
        case .cwd: cwd.databaseValue
        case .envNames: .text(Self.jsonArray(envNames))
        case .argusPID: argusPID.databaseValue
        case .serverPID: serverPID.databaseValue
        case .previousRunID: previousRunID.databaseValue
        case .clientName: clientName.databaseValue
        case .clientVersion: clientVersion.databaseValue
        case .serverInfoName: serverInfoName.databaseValue
        case .serverVersion: serverVersion.databaseValue
        case .protocolVersion: protocolVersion.databaseValue
        case .startedAt: startedAt.databaseValue
        case .endedAt: endedAt.databaseValue
        case .endReason: endReason.databaseValue
        case .endDetail: endDetail.databaseValue
        case .exitStatus: exitStatus.databaseValue
        case .stderrTail: stderrTail.databaseValue
        case .droppedFrames: droppedFrames.databaseValue
        case .messageCount: messageCount.databaseValue
        case .callCount: callCount.databaseValue
        case .errorCount: errorCount.databaseValue
        case .label: label.databaseValue
        case .recordingError: recordingError.databaseValue
        case .argsKeyID: argsKeyID.databaseValue
        case .argsSealed: argsSealed.databaseValue
        }
    }

    static func jsonArray(_ items: [String]) -> String {
        JSONWriter.string(.array(items.map(JSONValue.string)))
    }
}
