import Foundation
import Testing
@testable import ArgusPostgres

/// `--db postgres://…`: what a location names, and that no password is ever taken from it.
@Suite struct PostgresLocationTests {
    @Test func readsEveryPartAndKeepsNoSecretInItsDescription() throws {
        let location = try PostgresLocation(
            url: "postgres://team%40corp@db.example.com:6543/argus?sslmode=require",
            environment: [:])
        #expect(location.host == "db.example.com")
        #expect(location.port == 6543)
        #expect(location.user == "team@corp")
        #expect(location.database == "argus")
        #expect(location.tls == .require)
        #expect(location.description == "postgres://team@corp@db.example.com:6543/argus?sslmode=require")
    }

    @Test func fillsWhatIsLeftOutFromTheEnvironmentLikeLibpq() throws {
        let location = try PostgresLocation(url: "postgresql://", environment: ["PGHOST": "pg", "PGPORT": "5433", "USER": "ann"])
        #expect(location.host == "pg")
        #expect(location.port == 5433)
        #expect(location.user == "ann")
        #expect(location.database == "ann")
        #expect(location.tls == .prefer)
        let v6 = try PostgresLocation(url: "postgres://u@[::1]:7000/d", environment: [:])
        #expect(v6.host == "::1")
        #expect(v6.port == 7000)
        #expect(v6.description.contains("[::1]:7000"))
    }

    @Test func refusesAPasswordWrittenIntoTheLocation() {
        for url in ["postgres://u:hunter2@h/d", "postgres://u@h/d?password=hunter2"] {
            #expect(throws: PostgresStoreError.self) { try PostgresLocation(url: url, environment: [:]) }
            do {
                _ = try PostgresLocation(url: url, environment: [:])
            } catch {
                #expect("\(error)".contains("PGPASSWORD"))
                #expect(!"\(error)".contains("hunter2"), "the refusal repeats the password: \(error)")
            }
        }
    }

    @Test func clearErrorsForWhatIsNotALocation() {
        #expect(throws: PostgresStoreError.self) { try PostgresLocation(url: "postgres://h:notaport/d", environment: [:]) }
        #expect(throws: PostgresStoreError.self) { try PostgresLocation(url: "postgres://h/d?sslmode=sometimes", environment: [:]) }
        #expect(throws: PostgresStoreError.self) { try PostgresLocation(url: "mysql://h/d", environment: [:]) }
    }

    @Test func thePasswordComesFromAVariableThenPGPASSWORDThenThePasswordFile() throws {
        let variable = try PostgresLocation(url: "postgres://u:${TEAM_DB_SECRET}@h/d", environment: [:])
        #expect(variable.description == "postgres://u:${TEAM_DB_SECRET}@h:5432/d?sslmode=prefer")
        #expect(try variable.password(environment: ["TEAM_DB_SECRET": "s1", "PGPASSWORD": "s2"]) == "s1")
        #expect(throws: PostgresStoreError.self) { try variable.password(environment: ["PGPASSWORD": "s2"]) }

        let plain = try PostgresLocation(url: "postgres://u@h:5432/d", environment: [:])
        #expect(try plain.password(environment: ["PGPASSWORD": "s2"]) == "s2")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("argus-pgpass-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("pgpass").path
        try "# comment\nother:5432:d:u:wrong\nh:*:d:u:from\\:file\n*:*:*:*:fallback\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        #expect(try plain.password(environment: ["PGPASSFILE": file]) == "from:file")
        // Readable by others: ignored, as libpq does.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        #expect(try plain.password(environment: ["PGPASSFILE": file]) == nil)
    }
}
