/// Reads an SQLite recording: `StoreReader` over one connection, which callers (tests, the
/// deletion of a SQLite file's rows) may also use directly.
public final class SQLiteReader: StoreReader {
    public let db: SQLiteConnection

    public init(db: SQLiteConnection) {
        self.db = db
        super.init(connection: db, location: db.path)
    }

    public convenience init(path: String) throws {
        self.init(db: try ArgusDatabase.openForReading(path: path))
    }
}
