import ArgusCore

extension StoreReader {
    public func exportStatuses(since: Int64) throws -> [ExportStatusRecord] {
        try connection.fetchAll(
            ExportStatusRecord.self,
            """
            SELECT \(ExportStatusRecord.table.selection) FROM export_status WHERE updated_at >= ? ORDER BY updated_at DESC
            """, [.int(since)])
    }
}
