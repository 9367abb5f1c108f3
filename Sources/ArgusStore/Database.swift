import ArgusCore

#if canImport(Glibc)
import Glibc
#endif

/// Opening an Argus database: directories, permissions, pragmas, migrations.
public enum ArgusDatabase {
    /// `~/.argus/argus.db`, unless `ARGUS_DB` says otherwise.
    public static func defaultPath(environment: [String: String]) -> String {
        if let path = environment["ARGUS_DB"], !path.isEmpty { return path }
        return argusHome(environment: environment) + "/argus.db"
    }

    /// `~/.argus` (or `$ARGUS_HOME`): where the database, token and keys live.
    public static func argusHome(environment: [String: String]) -> String {
        if let home = environment["ARGUS_HOME"], !home.isEmpty { return home }
        let userHome = environment["HOME"] ?? "/tmp"
        return userHome + "/.argus"
    }

    /// Opens for writing, creating the file and its directory (mode 0700; the
    /// file 0600: it holds tool parameters and results even when redacted).
    public static func openForWriting(path: String, busyTimeoutMillis: Int32 = 5000) throws -> SQLiteConnection {
        try createParentDirectory(of: path)
        let existed = access(path, F_OK) == 0
        let db = try SQLiteConnection(path: path, mode: .readWriteCreate, busyTimeoutMillis: busyTimeoutMillis)
        if !existed { chmod(path, 0o600) }
        try configure(db)
        try Schema.migrate(db)
        return db
    }

    /// Opens an existing database for reading (CLI listings, dashboard).
    public static func openForReading(path: String) throws -> SQLiteConnection {
        guard access(path, F_OK) == 0 else { throw StoreError.missing(path: path) }
        // Read-write so WAL readers can create the -shm file if needed; nothing is written.
        let db: SQLiteConnection
        if let writable = try? SQLiteConnection(path: path, mode: .readWrite, busyTimeoutMillis: 5000) {
            db = writable
        } else {
            db = try SQLiteConnection(path: path, mode: .readOnly, busyTimeoutMillis: 5000)
        }
        let version = Int(try db.scalarInt("PRAGMA user_version") ?? 0)
        if version > Schema.currentVersion {
            throw Schema.OpenError.newerSchema(found: version, supported: Schema.currentVersion, path: path)
        }
        if version < Schema.currentVersion {
            // An older or empty file: bring it up to date when we can write it.
            try? configure(db)
            try Schema.migrate(db)
        }
        try? db.execute("PRAGMA secure_delete = ON")  // per connection: any write through it erases too
        return db
    }

    static func configure(_ db: SQLiteConnection) throws {
        // WAL: many wrap processes write while the dashboard reads.
        _ = try db.query("PRAGMA journal_mode = WAL")
        try db.execute("PRAGMA synchronous = NORMAL")
        try db.execute("PRAGMA foreign_keys = OFF")
        // Deleted or rewritten rows are overwritten with zeros, not left in free pages: a deleted
        // call (or a body a script dropped after the fact) must not stay readable in the file.
        try db.execute("PRAGMA secure_delete = ON")
    }

    /// Copies the WAL into the database and truncates it, so the old page images that still
    /// hold deleted rows leave the WAL too. Waits for readers up to the busy timeout; returns
    /// false when one still holds an old snapshot (its pages then go at the next checkpoint).
    @discardableResult
    public static func checkpointAndTruncate(_ db: SQLiteConnection) -> Bool {
        guard let row = try? db.query("PRAGMA wal_checkpoint(TRUNCATE)").first else { return false }
        return row.int(0) == 0
    }

    static func createParentDirectory(of path: String) throws {
        guard let slash = path.lastIndex(of: "/") else { return }
        let directory = String(path[..<slash])
        if directory.isEmpty { return }
        try createDirectory(directory)
    }

    static func createDirectory(_ directory: String) throws {
        if access(directory, F_OK) == 0 { return }
        if let slash = directory.lastIndex(of: "/"), slash != directory.startIndex {
            try createDirectory(String(directory[..<slash]))
        }
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw StoreError.cannotCreateDirectory(path: directory, reason: String(cString: strerror(errno)))
        }
    }
}

public enum StoreError: Error, CustomStringConvertible {
    case missing(path: String)
    case cannotCreateDirectory(path: String, reason: String)
    case notFound(what: String)

    public var description: String {
        switch self {
        case .missing(let path):
            return "no database at \(path): record something first with `argus wrap -- <server command>`, or pass --db"
        case .cannotCreateDirectory(let path, let reason):
            return "cannot create directory \(path): \(reason); pass --db with a writable path"
        case .notFound(let what): return "\(what) not found"
        }
    }
}
