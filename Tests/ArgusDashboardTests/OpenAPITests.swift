import ArgusCore
import ArgusReplay
import ArgusStore
import Foundation
import Testing
@testable import ArgusDashboard

/// Docs/openapi.json and the server's routes describe the same API.
@Suite struct OpenAPITests {
    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() throws {
        let dir = NSTemporaryDirectory() + "argus-openapi-\(UUID().uuidString.prefix(8))"
        let path = dir + "/argus.db"
        _ = try ArgusDatabase.openForWriting(path: path)
        let pool = ReaderPool(path: path)
        let replay = ReplayService(
            settings: .init(
                template: ReplayEngine.Options(databasePath: path, keyPath: dir + "/key", serverName: ""),
                servers: [:]), pool: pool)
        defer { replay.closeAll() }
        let api = API(
            pool: pool, feed: LiveFeed(databasePath: path, onCalls: { _ in }), stats: StatsIndex(), replay: replay,
            version: "test", startedAt: 0)
        var router = Router()
        api.register(&router)
        let served = Set(router.table.map { "\($0.method) \($0.pattern.replacing(/:(\w+)/) { "{\($0.1)}" })" })

        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Docs/openapi.json")
        let spec = try JSONParser.parse(Array(try Data(contentsOf: docs)))
        var documented: Set<String> = []
        for path in spec["paths"]?.objectValue?.members ?? [] {
            for method in path.value.objectValue?.members ?? [] { documented.insert("\(method.key.uppercased()) \(path.key)") }
        }
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
        #expect(served.count >= 17)
    }
}
