import ArgusCore

extension ToolSchemaRecord: TableRecord {
    enum Columns: String, TableColumn {
        case runID = "run_id"
        case name, title, description
        case inputSchema = "input_schema"
        case outputSchema = "output_schema"
        case annotations
        case
            seenAt = "seen_at"
    }

    /// A later `tools/list` of the same run describes the tool as it is now.
    static let table = Table<ToolSchemaRecord>("tool_schemas", onConflict: .replace)

    static let blank = ToolSchemaRecord(
        name: "", title: nil, description: nil, inputSchema: nil, outputSchema: nil, annotations: nil,
        seenAt: 0)

    mutating func decode(_ column: Columns, from value: some ColumnValue) throws {
        switch column {
        case .runID: runID = try value.decode()
        case .name: name = try value.decode()
        case .title: title = try value.decode()
        case .description: description = try value.decode()
        case .inputSchema: inputSchema = try value.decode()
        case .outputSchema: outputSchema = try value.decode()
        case .annotations: annotations = try value.decode()
        case .seenAt: seenAt = try value.decode()
        }
    }

    func encode(_ column: Columns) -> SQLiteValue {
        switch column {
        case .runID: runID.databaseValue
        case .name: name.databaseValue
        case .title: title.databaseValue
        case .description: description.databaseValue
        case .inputSchema: inputSchema.databaseValue
        case .outputSchema: outputSchema.databaseValue
        case .annotations: annotations.databaseValue
        case .seenAt: seenAt.databaseValue
        }
    }
}
