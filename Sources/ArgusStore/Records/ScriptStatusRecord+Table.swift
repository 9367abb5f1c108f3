import ArgusCore

extension ScriptStatusRecord: TableRecord {
    enum Columns: String, TableColumn {
        case script
        case argusPID = "argus_pid"
        case path, server, state
        case lastError = "last_error"
        case hookStats = "hook_stats"
        case
            errorCount = "error_count"
        case loadedAt = "loaded_at"
        case updatedAt = "updated_at"
    }

    /// One row per script and argus process: each report replaces the previous one.
    static let table = Table<ScriptStatusRecord>("script_status", onConflict: .replace)

    static let blank = ScriptStatusRecord(
        script: "", path: "", argusPID: 0, server: "", state: "", lastError: nil, hookStats: "{}",
        errorCount: 0, loadedAt: 0, updatedAt: 0)

    mutating func decode(_ column: Columns, from value: some ColumnValue) throws {
        switch column {
        case .script: script = try value.decode()
        case .argusPID: argusPID = try value.decode()
        case .path: path = try value.decode()
        case .server: server = try value.decode()
        case .state: state = try value.decode()
        case .lastError: lastError = try value.decode()
        case .hookStats: hookStats = try value.decode()
        case .errorCount: errorCount = try value.decode()
        case .loadedAt: loadedAt = try value.decode()
        case .updatedAt: updatedAt = try value.decode()
        }
    }

    func encode(_ column: Columns) -> SQLiteValue {
        switch column {
        case .script: script.databaseValue
        case .argusPID: argusPID.databaseValue
        case .path: path.databaseValue
        case .server: server.databaseValue
        case .state: state.databaseValue
        case .lastError: lastError.databaseValue
        case .hookStats: hookStats.databaseValue
        case .errorCount: errorCount.databaseValue
        case .loadedAt: loadedAt.databaseValue
        case .updatedAt: updatedAt.databaseValue
        }
    }
}
