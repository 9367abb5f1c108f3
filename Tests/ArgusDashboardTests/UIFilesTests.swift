import Foundation
import Testing
@testable import ArgusDashboard

/// The web UI's files (Sources/ArgusDashboard/UI/Resources): every one named by the page and
/// served as compiled in, every script valid JavaScript, and the scripts' pure functions tested
/// (Tests/UI, with Node's own test runner; Scripts/test.sh installs Debian's nodejs).
@Suite struct UIFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let resources = root.appendingPathComponent("Sources/ArgusDashboard/UI/Resources")

    static var node: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            for name in ["node", "nodejs"] where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
                return "\(directory)/\(name)"
            }
        }
        return nil
    }

    /// Runs a program to its end: its exit status and what it wrote.
    static func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.currentDirectoryURL = root
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    static func files() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: resources.path).sorted()
    }

    @Test func thePageNamesEveryFileAndEachIsServedAsItIsOnDisk() throws {
        let page = try String(contentsOf: Self.resources.appendingPathComponent("index.html"), encoding: .utf8)
        let named = page.matches(of: /(?:src|href)="\/([\w-]+\.(?:js|css|svg))(?:\?v=\{\{version\}\})?"/).map { String($0.1) }
        #expect(Set(named) == Set(try Self.files()).subtracting(["index.html"]), "index.html names \(named)")

        let assets = Assets(token: nil, version: "9.9")
        for name in named {
            let answer = try #require(assets.response(for: "/" + name), "/\(name) is not served")
            guard case .bytes(let served) = answer.body else { Issue.record("/\(name) is not bytes"); continue }
            #expect(served == Array(try Data(contentsOf: Self.resources.appendingPathComponent(name))), "/\(name) is not what is on disk")
            let type = answer.header("content-type") ?? ""
            #expect(
                name.hasSuffix(".js")
                    ? type.hasPrefix("text/javascript")
                    : name.hasSuffix(".css")
                        ? type.hasPrefix("text/css")
                        : type.hasPrefix("image/svg+xml"), "/\(name): \(type)")
        }
        let served = try #require(assets.response(for: "/"))
        guard case .bytes(let body) = served.body else { Issue.record("the page is not bytes"); return }
        let html = String(decoding: body, as: UTF8.self)
        #expect(html.contains(#"<meta name="argus-token" content="">"#) && html.contains(#"<script src="/app.js?v=9.9">"#))
        #expect(!html.contains("{{"))
        #expect(served.header("cache-control") == nil)  // the page carries the token: never cached
    }

    @Test(.enabled(if: node != nil, "needs Node.js (Debian's nodejs; Scripts/test.sh installs it)"))
    func everyScriptIsValidJavaScript() throws {
        let node = try #require(Self.node)
        for name in try Self.files() where name.hasSuffix(".js") {
            let check = try Self.run(node, ["--check", Self.resources.appendingPathComponent(name).path])
            #expect(check.status == 0, "\(name): \(check.output)")
        }
    }

    @Test(.enabled(if: node != nil, "needs Node.js (Debian's nodejs; Scripts/test.sh installs it)"))
    func theScriptsPureFunctionsPassTheirTests() throws {
        let node = try #require(Self.node)
        let tests = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("Tests/UI").path)
            .filter { $0.hasSuffix(".test.js") }.sorted().map { "Tests/UI/" + $0 }
        #expect(tests.count >= 4)
        let run = try Self.run(node, ["--test"] + tests)
        #expect(run.status == 0, "\(run.output)")
    }
}
