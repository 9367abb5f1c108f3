import ArgusCore

#if canImport(Glibc)
import Glibc
#endif

/// Opening an Argus database: directories, permissions, pragmas, migrations.
public enum ArgusDatabase {
    /// A reader of the recordings at `path`, a SQLite file or a server's URL (`postgres://…`,
    /// through the backend registered for it): the one place that chooses the store's backend.
    public static func reader(path: String) throws -> any ArgusReader {
        if StoreBackends.isExternal(path) { return try StoreReader.server(try StoreBackends.connect(path)) }
        return try SQLiteReader(path: path)
    }

    /// A writer of the recordings at `path`, creating the store (or its tables) if needed.
    /// `numbering` names the writer's batches where the store makes them idempotent (a server).
    public static func writer(
        path: String, busyTimeoutMillis: Int32 = 5000, numbering: BatchNumbering = BatchNumbering()
    ) throws -> any ArgusWriter {
        if StoreBackends.isExternal(path) { return try PostgresWriter(server: try StoreBackends.connect(path), numbering: numbering) }
        return try SQLiteWriter(path: path, busyTimeoutMillis: busyTimeoutMillis)
    }

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
        if let reason = unwritableReason(path: path) { throw StoreError.notWritable(path: path, reason: reason) }
        try createParentDirectory(of: path)
        // Created private before SQLite opens it (an empty file is an empty database): creating it
        // with the umask's mode and narrowing it afterwards would leave a moment in which others
        // could open it. SQLite gives its -wal and -shm files the database's mode.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
        let db = try SQLiteConnection(path: path, mode: .readWriteCreate, busyTimeoutMillis: busyTimeoutMillis)
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

    /// Why a database at `path` certainly cannot be written (a read-only file system, a
    /// directory without write permission, a file where a directory should be), nil when it
    /// may be writable. SQLite writes `-wal` and `-shm` files next to the database, so the
    /// directory must be writable too; a directory still to be created needs its nearest
    /// existing ancestor to be.
    public static func unwritableReason(path: String) -> String? {
        if StoreBackends.isExternal(path) { return nil }  // not a file: its backend reports its own problems
        func parent(_ p: String) -> String {
            guard let slash = p.lastIndex(of: "/") else { return "." }
            return slash == p.startIndex ? "/" : String(p[..<slash])
        }
        func explain(_ p: String) -> String {
            errno == EROFS ? "\(p) is on a read-only file system" : "\(p) is not writable (\(String(cString: strerror(errno))))"
        }
        var directory = parent(path)
        while access(directory, F_OK) != 0 && directory != "/" && directory != "." { directory = parent(directory) }
        var info = stat()
        if stat(directory, &info) == 0 && (info.st_mode & S_IFMT) != S_IFDIR { return "\(directory) is not a directory" }
        if access(directory, W_OK) != 0 { return explain(directory) }
        if access(path, F_OK) == 0 && access(path, W_OK) != 0 { return explain(path) }
        return nil
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
    case notWritable(path: String, reason: String)
    case notFound(what: String)
    /// A record named a run the store has not written (a bug: the recorder opens a run before using it).
    case unknownRun(LocalRunID)
    /// A stored value its record cannot hold.
    case unreadable(column: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let path):
            return "no database at \(path): record something first with `argus wrap -- <server command>`, or pass --db"
        case .cannotCreateDirectory(let path, let reason):
            return "cannot create directory \(path): \(reason); pass --db with a writable path"
        case .notWritable(let path, let reason):
            return "the database \(path) cannot be written: \(reason); pass --db with a writable path"
        case .notFound(let what): return "\(what) not found"
        case .unknownRun(let run): return "a record for run \(run) of this recording, which was never started"
        case .unreadable(let column, let reason): return "cannot read column \(column): \(reason)"
        }
    }
}
