import ArgusSystem
import Foundation
import Testing

/// A PostgreSQL cluster of one test's own, made with the programs of the server Scripts/test.sh
/// installed (ARGUS_TEST_POSTGRES_BIN, run as ARGUS_TEST_POSTGRES_RUN_AS): for a test that
/// restarts its server, which the shared one cannot be (every other test's connections would go).
final class PostgresClusterHarness: @unchecked Sendable {
    let directory: String
    let url: String
    let password = UUID().uuidString
    private let bin: String
    private let runAs: [String]

    /// Nil when the test server's programs are not known (the reason is printed).
    static func start() throws -> PostgresClusterHarness? {
        let environment = ProcessInfo.processInfo.environment
        guard let bin = environment["ARGUS_TEST_POSTGRES_BIN"] else {
            print("skipping: ARGUS_TEST_POSTGRES_BIN is not set (Scripts/test.sh installs PostgreSQL and sets it)")
            if environment["ARGUS_REQUIRE_POSTGRES"] == "1" {
                Issue.record("ARGUS_REQUIRE_POSTGRES=1 but ARGUS_TEST_POSTGRES_BIN is not set")
            }
            return nil
        }
        let runAs = (environment["ARGUS_TEST_POSTGRES_RUN_AS"] ?? "").split(separator: " ").map(String.init)
        return try PostgresClusterHarness(bin: bin, runAs: runAs)
    }

    private init(bin: String, runAs: [String]) throws {
        self.bin = bin
        self.runAs = runAs
        directory = temporaryDirectory("pgcluster")
        chmod(directory, 0o777)  // the server's user writes here when the tests run as root
        guard let port = Loopback.unusedPort() else { throw ClusterError(text: "no free port on 127.0.0.1") }
        url = "postgres://argus@127.0.0.1:\(port)/postgres?sslmode=disable"
        let passwordFile = directory + "/pw"
        try password.write(toFile: passwordFile, atomically: true, encoding: .utf8)
        chmod(passwordFile, 0o644)
        try run(
            "initdb",
            [
                "-D", directory + "/data", "-U", "argus", "--pwfile=\(passwordFile)", "--auth-host=scram-sha-256",
                "--auth-local=scram-sha-256", "-E", "UTF8", "--no-locale",
            ])
        try run(
            "pg_ctl",
            [
                "-D", directory + "/data", "-l", directory + "/server.log", "-w", "-t", "60", "-o",
                "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory) -c fsync=off", "start",
            ])
    }

    /// `pg_ctl restart -m fast`: every connection is cut, the server is back when it returns.
    func restart() throws {
        try run("pg_ctl", ["-D", directory + "/data", "-l", directory + "/server.log", "-m", "fast", "-w", "-t", "60", "restart"])
    }

    func stop() {
        try? run("pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
    }

    deinit { stop() }

    /// Runs one of the server's programs and waits for it (posix_spawn and waitpid on its own pid).
    private func run(_ program: String, _ arguments: [String]) throws {
        // Through a shell that first closes every descriptor but 0-2 in the child: the server pg_ctl
        // starts would otherwise keep other tests' pipes open (a wrap's stdin, whose end is how a
        // session finishes).
        let closeTheRest = #"for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; exec "$@""#
        let argv = ["/bin/bash", "-c", closeTheRest, "argus-test"] + (runAs.isEmpty ? [] : runAs) + [bin + "/" + program] + arguments
        let outputPath = directory + "/\(program).out"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, argv[0], &actions, nil, &cArguments, environ)
        guard spawned == 0 else { throw ClusterError(text: "cannot start \(argv[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            throw ClusterError(text: "\(program) failed: " + ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""))
        }
    }

    struct ClusterError: Error, CustomStringConvertible {
        var text: String
        var description: String { text }
    }
}

/// A value one thread sets and another reads.
final class LockedValue<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value { lock.withLock { stored } }
    func set(_ value: Value) { lock.withLock { stored = value } }
}
