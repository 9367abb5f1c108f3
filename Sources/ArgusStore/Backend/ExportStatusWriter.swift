import ArgusCore

/// Keeps one exporter's `export_status` row up to date, on its own connection (the exporter's
/// thread, never the recording's writer: a status must not wait behind a busy recording, nor
/// hold it up). The store is a SQLite file or a server (`postgres://`), as `--db` names it.
public final class ExportStatusWriter {
    private let location: String
    private var connection: (any RecordConnection)?
    private var rowID: Int64?

    public init(location: String) { self.location = location }

    /// Writes the row; errors are returned, not thrown: a status that cannot be written is not worth failing for.
    @discardableResult
    public func write(_ status: ExportStatusRecord) -> String? {
        do {
            let db = try connection ?? open()
            connection = db
            let table = ExportStatusRecord.table
            if let rowID {
                let assignments = table.insertedColumns.map { "\($0.rawValue) = ?" }.joined(separator: ", ")
                _ = try db.scalar("UPDATE export_status SET \(assignments) WHERE id = ?", status.insertedValues + [.int(rowID)])
            } else {
                rowID = try db.scalarInt(table.insertSQL + " RETURNING id", status.insertedValues)
            }
            return nil
        } catch {
            connection = nil
            return "\(error)"
        }
    }

    private func open() throws -> any RecordConnection {
        guard StoreBackends.isExternal(location) else {
            return try ArgusDatabase.openForWriting(path: location, busyTimeoutMillis: 1000)
        }
        let server = ServerRecordConnection(try StoreBackends.connect(location))
        try PostgresSchema.migrate(server)
        return server
    }
}
