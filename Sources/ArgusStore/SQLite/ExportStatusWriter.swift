import ArgusCore

/// Keeps one exporter's `export_status` row up to date, on its own connection (the exporter's
/// thread, never the recording's writer: a status must not wait behind a busy recording, nor
/// hold it up).
public final class ExportStatusWriter {
    private let path: String
    private var connection: SQLiteConnection?
    private var rowID: Int64?

    public init(path: String) { self.path = path }

    /// Writes the row; errors are returned, not thrown: a status that cannot be written is not worth failing for.
    @discardableResult
    public func write(_ status: ExportStatusRecord) -> String? {
        do {
            let db: SQLiteConnection
            if let connection {
                db = connection
            } else {
                db = try ArgusDatabase.openForWriting(path: path, busyTimeoutMillis: 1000)
                connection = db
            }
            var row = status
            row.id = rowID
            rowID = try db.insert(row)
            return nil
        } catch {
            connection = nil
            return "\(error)"
        }
    }
}
