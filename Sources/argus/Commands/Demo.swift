import ArgumentParser
import ArgusCore
import ArgusStore
import Foundation

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Record a short scripted session with argus-test-server and show what Argus captured.",
        discussion: """
            Starts `argus wrap -- argus-test-server`, plays an MCP client (handshake, tool list, a dozen \
            tool calls including failures, progress and a secret that gets redacted), then prints the run \
            and its statistics. Nothing to configure.
            """)

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let argus = try Self.executable("argus")
        let server = try Self.executable("argus-test-server")
        let session = try DemoSession(argus: argus, server: server, database: database.path)
        print("Recording a demo session: argus wrap -- \(server)\n")
        try session.play()
        let status = session.close()
        print("\nThe proxy exited with status \(status) (the server's own).\n")

        let reader = try database.reader()
        guard let run = try reader.runs(limit: 1, server: "demo").first else {
            throw CLIError("the demo run was not recorded in \(database.path); see the messages above")
        }
        print("Run \(run.id) in \(database.path):")
        print(
            "  server \(run.serverInfoName ?? run.serverName) \(run.serverVersion ?? ""), client \(run.clientName ?? "?"), "
                + "protocol \(run.protocolVersion ?? "?"), \(run.callCount) calls, \(run.errorCount) errors, "
                + "ended: \(Runs.ending(run))\n")
        let stats = try reader.stats(run: run.id)
        var table = Table([
            ("TOOL/METHOD", .left), ("CALLS", .right), ("ERRORS", .right), ("P50", .right), ("P95", .right),
            ("MAX", .right),
        ])
        for s in stats {
            table.add([
                s.isTool ? s.name : "(\(s.name))", String(s.count), String(s.errors), Format.duration(micros: s.p50),
                Format.duration(micros: s.p95), Format.duration(micros: s.max),
            ])
        }
        print(table.render())
        var filter = CallFilter()
        filter.run = run.id
        filter.tool = "echo"
        if let echo = try reader.calls(filter).first, let detail = try reader.call(id: echo.id) {
            print("\nRecorded params of call \(echo.id) (echo), as stored: \(detail.params.map { JSONWriter.string($0) } ?? "?")")
        }
        print(
            """

            Next: `argus dashboard` to see it in the browser, `argus calls --run \(run.id)`, `argus replay 5` to run a \
            call again, or `argus setup --client claude-desktop -- <server command>` to wrap a real server.
            """)
    }

    /// A sibling binary (installed next to argus) or one on PATH.
    static func executable(_ name: String) throws -> String {
        let selfPath =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        let sibling = URL(fileURLWithPath: selfPath).deletingLastPathComponent().appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: sibling) { return sibling }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw CLIError("cannot find \(name) next to argus or on PATH")
    }
}

/// Plays the client side of a short MCP session over the wrapped server's stdio.
final class DemoSession {
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    var buffer: [UInt8] = []
    var nextID = 1

    init(argus: String, server: String, database: String) throws {
        process.executableURL = URL(fileURLWithPath: argus)
        process.arguments = ["wrap", "--db", database, "--name", "demo", "--", server]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
    }

    func play() throws {
        let hello = try request(
            MCP.Method.initialize,
            [
                "protocolVersion": .string(MCP.Version.latestHandshake), "capabilities": [:],
                "clientInfo": ["name": "argus-demo", "version": .string(Argus.version)],
            ])
        step(
            MCP.Method.initialize,
            "\(hello["serverInfo"]?["name"]?.stringValue ?? "?") speaks \(hello["protocolVersion"]?.stringValue ?? "?")")
        send(["jsonrpc": "2.0", "method": .string(MCP.Method.initialized)])
        let tools = try request(MCP.Method.toolsList, [:])
        step(MCP.Method.toolsList, "\(tools["tools"]?.arrayValue?.count ?? 0) tools")
        try call("calculate", ["operation": "multiply", "a": 6, "b": 7])
        try call("calculate", ["operation": "divide", "a": 1, "b": 0])
        try call("get_weather", ["city": "Lisbon"])
        try call("echo", ["message": "deploy with Authorization: Bearer abc123def456ghi789", "api_key": "sk-demo-1234567890abcdefghij"])
        try call("slow_operation", ["ms": 120], progress: true)
        try call("progress_task", ["steps": 3, "delay_ms": 10], progress: true)
        try call("random_failure", ["seed": 1])
        try call("random_failure", ["seed": 4])
        try call("always_fail", [:])
        let resource = try request(MCP.Method.resourcesRead, ["uri": "argus://test/readme"])
        step(MCP.Method.resourcesRead, "\(resource["contents"]?[0]?["text"]?.stringValue?.count ?? 0) characters")
        _ = try request(MCP.Method.promptsGet, ["name": "greeting", "arguments": ["name": "Ada"]])
        step(MCP.Method.promptsGet, "greeting")
    }

    func step(_ what: String, _ detail: String, failed: Bool = false) {
        print("  \(failed ? "✗" : "✓") \(what.padding(toLength: 16, withPad: " ", startingAt: 0)) \(detail)")
    }

    func call(_ tool: String, _ arguments: JSONValue, progress: Bool = false) throws {
        var params: JSONObject = ["name": .string(tool), "arguments": arguments]
        if progress { params["_meta"] = [MCP.MetaKey.progressToken: .string("demo-\(nextID)")] }
        let result = try request(MCP.Method.toolsCall, .object(params))
        let text = result["content"]?[0]?["text"]?.stringValue ?? ""
        let failed = result["isError"]?.boolValue == true
        step(tool, Format.truncate(text, 70), failed: failed)
    }

    func send(_ message: JSONValue) {
        var bytes = JSONWriter.bytes(message)
        bytes.append(0x0A)
        input.fileHandleForWriting.write(Data(bytes))
    }

    /// Sends a request and waits for its response, skipping notifications.
    func request(_ method: String, _ params: JSONValue) throws -> JSONValue {
        let id = nextID
        nextID += 1
        send(["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": params])
        while true {
            let line = try readLine()
            guard let message = try? JSONParser.parse(line) else { continue }
            guard message["id"]?.intValue == id else { continue }
            if let error = message["error"] {
                throw CLIError("\(method) failed: \(error["message"]?.stringValue ?? "\(error)")")
            }
            return message["result"] ?? .null
        }
    }

    func readLine() throws -> String {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw CLIError("the wrapped server closed its output unexpectedly") }
            buffer.append(contentsOf: chunk)
        }
    }

    /// Closes the client side (EOF) and waits for the proxy to exit.
    func close() -> Int32 {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
