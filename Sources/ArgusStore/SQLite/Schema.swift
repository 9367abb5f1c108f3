/// The database schema as an append-only list of migrations. Each step runs
/// once, in a write transaction, and bumps `PRAGMA user_version`; many `argus
/// wrap` processes may race to open a new file, and the transaction decides.
public enum Schema {
    public struct Migration: Sendable {
        public var version: Int
        public var name: String
        public var sql: String
    }

    public static let migrations: [Migration] = [
        Migration(
            version: 1, name: "recordings",
            sql: """
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY,
                    kind TEXT NOT NULL DEFAULT 'wrap',
                    server_name TEXT NOT NULL,
                    command TEXT NOT NULL,
                    args TEXT NOT NULL DEFAULT '[]',
                    cwd TEXT,
                    env_names TEXT NOT NULL DEFAULT '[]',
                    argus_pid INTEGER,
                    server_pid INTEGER,
                    previous_run_id INTEGER,
                    client_name TEXT,
                    client_version TEXT,
                    server_info_name TEXT,
                    server_version TEXT,
                    protocol_version TEXT,
                    started_at INTEGER NOT NULL,
                    ended_at INTEGER,
                    end_reason TEXT,
                    end_detail TEXT,
                    exit_status INTEGER,
                    stderr_tail TEXT,
                    dropped_frames INTEGER NOT NULL DEFAULT 0,
                    message_count INTEGER NOT NULL DEFAULT 0,
                    call_count INTEGER NOT NULL DEFAULT 0,
                    error_count INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX runs_server ON runs(server_name, id);

                CREATE TABLE messages (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    direction TEXT NOT NULL,
                    ts INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    method TEXT,
                    jsonrpc_id TEXT,
                    body TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    redacted INTEGER NOT NULL DEFAULT 0
                );
                CREATE UNIQUE INDEX messages_run_seq ON messages(run_id, seq);

                CREATE TABLE calls (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL,
                    server TEXT NOT NULL,
                    request_seq INTEGER NOT NULL,
                    response_seq INTEGER,
                    direction TEXT NOT NULL,
                    method TEXT NOT NULL,
                    tool TEXT,
                    target TEXT,
                    jsonrpc_id TEXT NOT NULL,
                    started_at INTEGER NOT NULL,
                    ended_at INTEGER,
                    latency_us INTEGER,
                    status TEXT NOT NULL,
                    is_error INTEGER NOT NULL DEFAULT 0,
                    error_code INTEGER,
                    error_message TEXT,
                    progress_count INTEGER NOT NULL DEFAULT 0,
                    cancelled INTEGER NOT NULL DEFAULT 0,
                    bytes_in INTEGER,
                    bytes_out INTEGER,
                    replay_of INTEGER
                );
                CREATE INDEX calls_run ON calls(run_id, id);
                CREATE INDEX calls_tool ON calls(tool, id) WHERE tool IS NOT NULL;

                CREATE TABLE tool_schemas (
                    run_id INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    title TEXT,
                    description TEXT,
                    input_schema TEXT,
                    output_schema TEXT,
                    annotations TEXT,
                    seen_at INTEGER NOT NULL,
                    PRIMARY KEY (run_id, name)
                );

                CREATE TABLE server_logs (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL,
                    ts INTEGER NOT NULL,
                    line TEXT NOT NULL
                );
                CREATE INDEX server_logs_run ON server_logs(run_id, id);

                -- Recording problems (database locked for a while, frames dropped) so
                -- they are visible after the fact, not only on a stderr nobody reads.
                CREATE TABLE recorder_events (
                    id INTEGER PRIMARY KEY,
                    ts INTEGER NOT NULL,
                    run_id INTEGER,
                    kind TEXT NOT NULL,
                    message TEXT NOT NULL
                );
                """),
        Migration(
            version: 2, name: "script outputs",
            sql: """
                CREATE INDEX calls_run_request ON calls(run_id, request_seq);

                -- Alerts, metric samples, script log lines and script errors, each linked to
                -- the call (run_id + request_seq) that produced it when there is one.
                CREATE TABLE script_outputs (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER,
                    request_seq INTEGER,
                    ts INTEGER NOT NULL,
                    script TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    level TEXT,
                    name TEXT,
                    metric_kind TEXT,
                    value REAL,
                    labels TEXT,
                    message TEXT,
                    key TEXT,
                    location TEXT
                );
                CREATE INDEX script_outputs_kind ON script_outputs(kind, id);
                CREATE INDEX script_outputs_run ON script_outputs(run_id, request_seq);

                -- The scripts loaded by each argus process, as last reported.
                CREATE TABLE script_status (
                    script TEXT NOT NULL,
                    argus_pid INTEGER NOT NULL,
                    path TEXT NOT NULL,
                    server TEXT NOT NULL,
                    state TEXT NOT NULL,
                    last_error TEXT,
                    hook_stats TEXT NOT NULL DEFAULT '{}',
                    error_count INTEGER NOT NULL DEFAULT 0,
                    loaded_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    PRIMARY KEY (script, argus_pid)
                );
                """),
        Migration(
            version: 3, name: "replay",
            sql: """
                -- The original params of redacted requests, encrypted (AES-GCM) with the key in
                -- ~/.argus/secret.key: what a replay needs to send the real values.
                CREATE TABLE sealed_params (
                    run_id INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    key_id TEXT NOT NULL,
                    sealed BLOB NOT NULL,
                    PRIMARY KEY (run_id, seq)
                );
                CREATE INDEX calls_replay_of ON calls(replay_of) WHERE replay_of IS NOT NULL;
                """),
        Migration(
            version: 4, name: "dashboard filters",
            sql: """
                -- Pages of one server's calls, or of failures only, newest first, at any depth.
                CREATE INDEX calls_server ON calls(server, id);
                CREATE INDEX calls_errors ON calls(id) WHERE is_error = 1;
                """),
        Migration(
            version: 5, name: "recording: rounds, run labels, run requests",
            sql: """
                -- 2026-07-28 multi round-trip: each round is a call; later rounds point at the first.
                ALTER TABLE calls ADD COLUMN round INTEGER;
                ALTER TABLE calls ADD COLUMN first_call_id INTEGER;
                CREATE INDEX calls_first_call ON calls(first_call_id) WHERE first_call_id IS NOT NULL;

                -- A name for a run started by hand (`argus runs new --label`).
                ALTER TABLE runs ADD COLUMN label TEXT;

                -- "Begin a new run" (server NULL: every wrap) or "end run N", written by the CLI or the
                -- dashboard and read by every `argus wrap` on this database about once a second.
                CREATE TABLE run_requests (
                    id INTEGER PRIMARY KEY,
                    requested_at INTEGER NOT NULL,
                    server TEXT,
                    run_id INTEGER,
                    label TEXT,
                    requested_by TEXT NOT NULL
                );
                """),
        Migration(
            version: 6, name: "unrecorded runs",
            sql: """
                -- Why a run's traffic was relayed but not recorded (its configuration could not be read,
                -- so what its redaction would have protected is unknown); NULL for recorded runs.
                ALTER TABLE runs ADD COLUMN recording_error TEXT;
                """),
        Migration(
            version: 7, name: "live feed changes",
            sql: """
                -- Every change the dashboard's live feed reports, numbered in commit order: triggers
                -- write a row in the transaction that makes the change, whoever the writer is, and
                -- SQLite has one writer at a time, so a reader that has seen change N has seen every
                -- change below N. Row ids alone cannot say that (an updated row keeps its id, ids of
                -- deleted rows are reused), which is how the feed used to lose calls.
                CREATE TABLE feed_changes (
                    seq INTEGER PRIMARY KEY,
                    kind TEXT NOT NULL,
                    row_id INTEGER NOT NULL
                );
                -- Numbers start above every call id, which is what event ids were before.
                INSERT INTO feed_changes (seq, kind, row_id) SELECT COALESCE(MAX(id), 0), 'start', 0 FROM calls;

                CREATE TRIGGER feed_call_inserted AFTER INSERT ON calls
                BEGIN INSERT INTO feed_changes (kind, row_id) VALUES ('call', NEW.id); END;
                CREATE TRIGGER feed_call_updated AFTER UPDATE ON calls
                BEGIN INSERT INTO feed_changes (kind, row_id) VALUES ('call', NEW.id); END;
                CREATE TRIGGER feed_call_deleted AFTER DELETE ON calls
                BEGIN INSERT INTO feed_changes (kind, row_id) VALUES ('call_deleted', OLD.id); END;
                CREATE TRIGGER feed_run_inserted AFTER INSERT ON runs
                BEGIN INSERT INTO feed_changes (kind, row_id) VALUES ('run', NEW.id); END;
                CREATE TRIGGER feed_run_updated AFTER UPDATE ON runs
                BEGIN INSERT INTO feed_changes (kind, row_id) VALUES ('run', NEW.id); END;
                CREATE TRIGGER feed_run_deleted AFTER DELETE ON runs
                BEGIN INSERT INTO feed_changes (kind, row_id) VALUES ('run_deleted', OLD.id); END;
                CREATE TRIGGER feed_script_output_inserted AFTER INSERT ON script_outputs
                BEGIN INSERT INTO feed_changes (kind, row_id) VALUES ('script_output', NEW.id); END;
                CREATE TRIGGER feed_script_status_inserted AFTER INSERT ON script_status
                BEGIN INSERT INTO feed_changes (kind, row_id) VALUES ('script_status', NEW.rowid); END;
                CREATE TRIGGER feed_script_status_updated AFTER UPDATE ON script_status
                BEGIN INSERT INTO feed_changes (kind, row_id) VALUES ('script_status', NEW.rowid); END;

                -- The newest 100,000 changes are kept (a reconnecting client further behind reloads);
                -- the newest row is never deleted, so numbers never go back.
                CREATE TRIGGER feed_changes_pruned AFTER INSERT ON feed_changes WHEN NEW.seq % 1024 = 0
                BEGIN DELETE FROM feed_changes WHERE seq < NEW.seq - 100000; END;
                """),
        Migration(
            version: 8, name: "sealed arguments",
            sql: """
                -- runs.args holds the server's command line redacted (--api-key=…, --token X, URLs with
                -- passwords); when that changed it, the original arguments are sealed here like sealed_params.
                ALTER TABLE runs ADD COLUMN args_key_id TEXT;
                ALTER TABLE runs ADD COLUMN args_sealed BLOB;
                """),
        Migration(
            version: 9, name: "injected faults",
            sql: """
                -- Faults argus injected (`argus wrap --faults`), each naming the request it hit. Argus's own
                -- answer (error, is_error, empty, stale, a script's) is that call's response; response_seq is
                -- set only for a server answer argus spoilt (malformed). A fault is never taken for the server's.
                CREATE TABLE faults (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL,
                    request_seq INTEGER,
                    response_seq INTEGER,
                    ts INTEGER NOT NULL,
                    tool TEXT,
                    kind TEXT NOT NULL,
                    source TEXT NOT NULL,
                    detail TEXT
                );
                CREATE INDEX faults_run ON faults(run_id, request_seq);
                """),
        Migration(
            version: 10, name: "telemetry export status",
            sql: """
                -- One row per exporter in each argus process (OTLP): what it sent, dropped and why,
                -- for argus diagnose, the dashboard and /metrics. Updated every few seconds and at exit.
                CREATE TABLE export_status (
                    id INTEGER PRIMARY KEY,
                    exporter TEXT NOT NULL,
                    argus_pid INTEGER NOT NULL,
                    server TEXT NOT NULL,
                    endpoint TEXT NOT NULL,
                    started_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    spans_exported INTEGER NOT NULL DEFAULT 0,
                    spans_dropped INTEGER NOT NULL DEFAULT 0,
                    spans_rejected INTEGER NOT NULL DEFAULT 0,
                    spans_queued INTEGER NOT NULL DEFAULT 0,
                    metric_exports INTEGER NOT NULL DEFAULT 0,
                    metric_exports_failed INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    last_error_at INTEGER,
                    finished INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX export_status_updated ON export_status(updated_at);
                """),
        Migration(
            version: 11, name: "transport frames",
            sql: """
                -- What HTTP did in a remote run (`argus/transport` frames: sessions, statuses, broken streams),
                -- found without reading the run's other messages: the dashboard shows each run's session and
                -- latest transport event in every listing of runs.
                CREATE INDEX messages_transport ON messages(run_id, seq) WHERE method = 'argus/transport';
                """),
    ]

    public static var currentVersion: Int { migrations.last?.version ?? 0 }

    public enum OpenError: Error, CustomStringConvertible {
        case newerSchema(found: Int, supported: Int, path: String)

        public var description: String {
            switch self {
            case .newerSchema(let found, let supported, let path):
                return
                    "the database at \(path) has schema version \(found), newer than this argus supports (\(supported)); upgrade argus or pass --db with another file"
            }
        }
    }

    /// Applies missing migrations. Throws `OpenError.newerSchema` for a database
    /// written by a newer argus.
    public static func migrate(_ db: SQLiteConnection) throws {
        let version = Int(try db.scalarInt("PRAGMA user_version") ?? 0)
        if version > currentVersion {
            throw OpenError.newerSchema(found: version, supported: currentVersion, path: db.path)
        }
        if version == currentVersion { return }
        try db.transaction(immediate: true) {
            // Re-read inside the write lock: another process may have migrated meanwhile.
            let locked = Int(try db.scalarInt("PRAGMA user_version") ?? 0)
            for migration in migrations where migration.version > locked {
                try db.execute(migration.sql)
                try db.execute("PRAGMA user_version = \(migration.version)")
            }
        }
        db.clearStatementCache()
    }
}
