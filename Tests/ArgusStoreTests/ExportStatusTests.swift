import ArgusCore
import Foundation
import Testing
@testable import ArgusStore

@Suite struct ExportStatusTests {
    @Test(arguments: TestStore.backends) func anExportersReportsUpdateItsOneRowAndReadBackByName(_ backend: TestStore.Backend) throws {
        guard let store = try TestStore.make(backend) else { return }
        let path = store.location
        let writer = ExportStatusWriter(location: path)
        var status = ExportStatusRecord(
            exporter: "otlp", argusPID: 42, server: "time", endpoint: "http://c:4318/v1/traces",
            startedAt: 1_000, updatedAt: 1_000)
        #expect(writer.write(status) == nil)
        status.updatedAt = 5_000
        status.spansExported = 10
        status.spansDropped = 2
        status.lastError = "HTTP 503"
        status.lastErrorAt = 4_000
        status.finished = true
        #expect(writer.write(status) == nil)
        let other = ExportStatusRecord(
            exporter: "otlp", argusPID: 43, server: "git", endpoint: "http://c:4318/v1/traces",
            startedAt: 2_000, updatedAt: 3_000)
        #expect(ExportStatusWriter(location: path).write(other) == nil)

        let reader = try store.reader()
        let rows = try reader.exportStatuses()
        #expect(rows.map(\.argusPID) == [42, 43], "newest first, one row per exporter: \(rows)")
        var expected = status
        expected.id = rows.first?.id
        #expect(rows.first == expected)
        #expect(try reader.exportStatuses(since: 4_000).map(\.server) == ["time"])
    }
}
