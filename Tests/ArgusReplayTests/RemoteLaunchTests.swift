import ArgusCore
import Foundation
import Testing

@testable import ArgusReplay

@Suite struct RemoteLaunchTests {
    @Test func aURLIsARemoteLaunchWhoseRecordedArgumentsNameHeadersOnly() {
        let recorded = ServerLaunch(
            command: "https://mcp.example.com/mcp",
            arguments: ["--listen", "127.0.0.1:9000", "--header", "Authorization: [REDACTED:key-value]", "--header", "X-Team: …"])
        #expect(recorded.isRemote)
        #expect(recorded.recordedHeaderNames == ["Authorization", "X-Team"])
        let child = ServerLaunch(command: "uvx", arguments: ["--header", "X: y"])
        #expect(!child.isRemote)
        #expect(child.recordedHeaderNames.isEmpty)
    }

    @Test func aRecordedURLTakesTheConfiguredServerAtTheSameAddress() {
        var configured = ServerLaunch(command: "HTTPS://user@MCP.example.com/mcp?tenant=7", arguments: [])
        configured.headers = [.init(name: "Authorization", value: "Bearer ${TOKEN}")]
        let elsewhere = ServerLaunch(command: "https://mcp.example.com/other", arguments: [])
        let recorded = ServerLaunch(command: "https://mcp.example.com/mcp", arguments: ["--header", "Authorization: …"])
        #expect(recorded.withConfiguredRemote([elsewhere, configured]) == configured)
        #expect(recorded.withConfiguredRemote([elsewhere]) == recorded)
        var given = recorded
        given.headers = [.init(name: "Authorization", value: "Bearer ${OTHER}")]
        #expect(given.withConfiguredRemote([configured]) == given)  // headers given on the command line win
    }

    @Test func withoutAConnectorARemoteRunFailsClearlyAndStartsNothing() {
        let directory = NSTemporaryDirectory() + "argus-remote-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let options = ReplayEngine.Options(databasePath: directory + "/argus.db", keyPath: directory + "/key", serverName: "remote")
        let engine = ReplayEngine(
            options: options, launch: ServerLaunch(command: "http://127.0.0.1:1/mcp", arguments: []),
            handshake: Handshake(stateless: false, protocolVersion: nil, initializeParams: nil, clientAnswers: [:]), report: { _ in })
        let call = ReplayCall(
            callID: 1, method: MCP.Method.toolsCall, tool: "add", params: ["name": "add", "arguments": [:]], sealed: nil,
            expected: nil, expectedIsError: false, latencyMicros: nil, startedAt: 0, inputSchema: nil, annotations: nil,
            toolListed: false)
        let result = engine.replay(call)
        engine.close()
        #expect(result.outcome == .failed)
        #expect(result.failure?.contains("cannot speak HTTP") == true, "\(result.failure ?? "no failure")")
    }
}
