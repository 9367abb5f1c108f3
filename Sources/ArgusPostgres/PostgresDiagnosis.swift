import ArgusSystem
import Foundation
import ArgusStore
import PostgresNIO

/// `argus diagnose` on a PostgreSQL store: the connection, the schema version, the role's
/// permissions and the lag (how long ago the newest message was recorded, and how far the
/// server's clock is from this machine's: timestamps come from the recording machines).
public enum PostgresDiagnosis {
    public enum Status: String, Sendable { case ok, warning, failed, info }

    public struct Check: Sendable {
        public var status: Status
        public var title: String
        public var details: [String] = []
    }

    public static func run(url: String, environment: [String: String]) -> [Check] {
        let location: PostgresLocation
        do {
            location = try PostgresLocation(url: url, environment: environment)
        } catch {
            return [Check(status: .failed, title: "\(error)")]
        }
        var checks = [Check(status: .info, title: "store \(location) (password from \(passwordSource(location, environment)))")]
        let session: PostgresSession
        do {
            session = try PostgresSession.connect(location, environment: environment, timeoutSeconds: 5)
        } catch {
            checks.append(
                Check(
                    status: .failed, title: "\(error)",
                    details: ["`argus wrap` relays sessions but records nothing until the store can be reached"]))
            return checks
        }
        defer { session.close() }
        do {
            try checkServer(session, &checks)
            let hasSchema = try session.query("SELECT to_regclass('argus_schema') IS NOT NULL").first?.decode(Bool.self) ?? false
            let version = hasSchema ? Int(try session.integer("SELECT version FROM argus_schema") ?? 0) : 0
            if version == 0 {
                let canCreate =
                    try session.query("SELECT has_schema_privilege(current_schema(), 'CREATE')").first?.decode(Bool.self) ?? false
                checks.append(
                    Check(
                        status: canCreate ? .warning : .failed, title: "no Argus tables in \(location.database) yet",
                        details: [
                            canCreate
                                ? "the first `argus wrap` creates them"
                                : "user \(location.user) cannot create tables here: grant CREATE on the schema, or create them once as another role with `argus wrap`"
                        ]))
                return checks
            }
            checks.append(
                Check(
                    status: version > PostgresSchema.currentVersion ? .failed : .ok,
                    title: "schema version \(version) (this argus: \(PostgresSchema.currentVersion))"))
            try checkPermissions(session, location, &checks)
            try checkLag(session, &checks)
        } catch {
            checks.append(Check(status: .failed, title: "\(error)"))
        }
        return checks
    }

    static func passwordSource(_ location: PostgresLocation, _ environment: [String: String]) -> String {
        if let variable = location.passwordVariable { return "${\(variable)}" }
        if environment["PGPASSWORD"] != nil { return "PGPASSWORD" }
        return environment["PGPASSFILE"] ?? "~/.pgpass, if it has a line for it"
    }

    private static func checkServer(_ session: PostgresSession, _ checks: inout [Check]) throws {
        let row = try session.query("SELECT current_setting('server_version'), pg_is_in_recovery()").first
        let (version, standby) = try row?.decode((String, Bool).self) ?? ("?", false)
        if standby {
            checks.append(
                Check(
                    status: .failed, title: "connected to PostgreSQL \(version), a standby: it cannot be written",
                    details: ["point --db at the primary"]))
        } else {
            checks.append(Check(status: .ok, title: "connected to PostgreSQL \(version)"))
        }
    }

    private static func checkPermissions(_ session: PostgresSession, _ location: PostgresLocation, _ checks: inout [Check]) throws {
        var missing: [String] = []
        for table in ["runs", "calls", "messages", "recorder_batches", "script_outputs"] {
            for privilege in ["SELECT", "INSERT", "UPDATE"] {
                let granted = try session.query("SELECT has_table_privilege(\(table), \(privilege))").first?.decode(Bool.self) ?? false
                if !granted { missing.append("\(privilege) on \(table)") }
            }
        }
        if missing.isEmpty {
            checks.append(Check(status: .ok, title: "user \(location.user) can record (SELECT, INSERT, UPDATE on Argus's tables)"))
        } else {
            checks.append(Check(status: .failed, title: "user \(location.user) cannot record: it lacks \(missing.joined(separator: ", "))"))
        }
    }

    private static func checkLag(_ session: PostgresSession, _ checks: inout [Check]) throws {
        let row = try session.query(
            """
            SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT, (SELECT max(ts) FROM messages),
                   (SELECT count(*) FROM runs), (SELECT count(*) FROM calls), (SELECT count(*) FROM messages)
            """
        ).first
        guard let (serverNow, newest, runs, calls, messages) = try row?.decode((Int64, Int64?, Int64, Int64, Int64).self) else { return }
        let offset = Double(serverNow - SystemClock.wallMicros()) / 1e6
        checks.append(
            Check(
                status: abs(offset) > 5 ? .warning : .ok,
                title:
                    "the server's clock is \(String(format: "%.1f", abs(offset))) s \(offset >= 0 ? "ahead of" : "behind") this machine's",
                details: abs(offset) > 5 ? ["recordings carry their machine's time; keep the clocks in sync (NTP)"] : []))
        let age =
            newest.map { "the newest message was recorded \(String(format: "%.0f", Double(serverNow - $0) / 1e6)) s ago" }
            ?? "nothing recorded yet"
        checks.append(Check(status: .info, title: "\(runs) runs, \(calls) calls, \(messages) messages; \(age)"))
    }
}
