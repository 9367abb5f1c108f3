import ArgusCore
import Foundation
import Testing
@testable import ArgusReplay

@Suite struct SealingTests {
    func directory() -> String {
        let path = NSTemporaryDirectory() + "argus-seal-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func theKeyIsCreatedOwnerOnlyAndSealedValuesOpenOnlyWithIt() throws {
        let path = directory() + "/nested/secret.key"
        #expect(try SecretKeyFile.load(path: path, create: false) == nil)
        let key = try #require(try SecretKeyFile.load(path: path, create: true))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect(attributes[.posixPermissions] as? Int == 0o600)
        let parent = try FileManager.default.attributesOfItem(atPath: (path as NSString).deletingLastPathComponent)
        #expect(parent[.posixPermissions] as? Int == 0o700)

        let secret = Array(#"{"api_key":"sk-live-123"}"#.utf8)
        let sealed = try key.seal(secret)
        #expect(Data(sealed).range(of: Data("sk-live".utf8)) == nil)
        #expect(try key.seal(secret) != sealed)  // a fresh nonce each time
        let again = try #require(try SecretKeyFile.load(path: path, create: true))
        #expect(again.keyID == key.keyID)
        #expect(try again.unseal(sealed) == secret)

        let other = try #require(try SecretKeyFile.load(path: directory() + "/other.key", create: true))
        #expect(other.keyID != key.keyID)
        #expect(throws: (any Error).self) { try other.unseal(sealed) }
        var tampered = sealed
        tampered[tampered.count / 2] ^= 1
        #expect(throws: (any Error).self) { try key.unseal(tampered) }
    }

    @Test func aFileThatIsNotAKeyIsAClearError() throws {
        let path = directory() + "/secret.key"
        try "not a key".write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            try SecretKeyFile.load(path: path, create: true)
        } throws: { "\($0)".contains("is not an Argus key (9 bytes, expected 32)") }
    }

    @Test func theRecorderSealerCreatesTheKeyOnFirstUse() throws {
        let path = directory() + "/secret.key"
        let sealer = KeyFileSealer(path: path, report: { _ in })
        #expect(!FileManager.default.fileExists(atPath: path))
        let box = try #require(sealer.seal(Array("x".utf8)))
        let key = try #require(try SecretKeyFile.load(path: path, create: false))
        #expect(box.keyID == key.keyID)
        #expect(try key.unseal(box.sealed) == Array("x".utf8))
    }

    @Test func anUnwritableKeyDirectoryIsReportedOnceAndNothingIsSealed() {
        let messages = Messages()
        let sealer = KeyFileSealer(path: "/proc/argus-cannot/secret.key", report: { messages.add($0) })
        #expect(sealer.seal([1]) == nil)
        #expect(sealer.seal([2]) == nil)
        #expect(messages.all.count == 1)
        #expect(messages.all.first?.contains("cannot keep redacted values for replay") == true)
    }
}

final class Messages: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

@Suite struct ReplayParamsTests {
    func parse(_ text: String) -> JSONValue { try! JSONParser.parse(text) }

    func engine(_ directory: String) -> ReplayEngine {
        ReplayEngine(
            options: .init(databasePath: directory + "/a.db", keyPath: directory + "/none.key", serverName: "s"),
            launch: ServerLaunch(command: "/bin/true", arguments: []),
            handshake: Handshake(stateless: false, protocolVersion: nil, initializeParams: nil, clientAnswers: [:]),
            report: { _ in })
    }

    func call(_ params: JSONValue) -> ReplayCall {
        ReplayCall(
            callID: 1, method: "tools/call", tool: "login", params: params, sealed: nil, expected: nil,
            expectedIsError: false, latencyMicros: nil, startedAt: 0, inputSchema: nil, annotations: nil)
    }

    @Test func redactedValuesMustBeSuppliedWhenNoOriginalIsSealed() throws {
        let engine = engine(NSTemporaryDirectory())
        defer { engine.close() }
        let recorded = call(
            parse(#"{"name":"login","arguments":{"user":"ann","password":"[REDACTED]","note":"Bearer [REDACTED:bearer]"}}"#))
        #expect {
            try engine.prepareParams(recorded, patch: nil)
        } throws: { error in
            "\(error)".contains("/arguments/password, /arguments/note") && "\(error)".contains("not kept when the call was recorded")
        }
        #expect(throws: (any Error).self) { try engine.prepareParams(recorded, patch: parse(#"{"password":"pw"}"#)) }
        let sent = try engine.prepareParams(recorded, patch: parse(#"{"password":"pw","note":"hi"}"#))
        #expect(sent["arguments"]?.sameValue(as: parse(#"{"user":"ann","password":"pw","note":"hi"}"#)) == true)
    }

    @Test func statelessReplaysCarryTheProtocolInMeta() {
        let handshake = Handshake(stateless: true, protocolVersion: "2026-07-28", initializeParams: nil, clientAnswers: [:])
        let params = handshake.withMeta(["name": "t", "arguments": [:]])
        #expect(params["_meta"]?["io.modelcontextprotocol/protocolVersion"] == "2026-07-28")
        let recorded: JSONValue = [
            "name": "t",
            "_meta": [
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientInfo": ["name": "orig"],
            ],
        ]
        #expect(handshake.withMeta(recorded)["_meta"]?["io.modelcontextprotocol/clientInfo"]?["name"] == "orig")
    }
}

@Suite struct SuiteFileTests {
    @Test func aSuiteRoundTripsEverythingAReplayNeeds() throws {
        let call = ReplayCall(
            callID: 7, method: "tools/call", tool: "echo", params: ["name": "echo", "arguments": ["k": "[REDACTED]"]],
            sealed: SealedValue(keyID: "00ff", bytes: [1, 2, 3, 250]), expected: ["result": ["content": []]],
            expectedIsError: true, latencyMicros: 1234, startedAt: 1_700_000_000_123_456,
            inputSchema: ["type": "object"], annotations: ["readOnlyHint": true])
        let plan = ReplayPlan(
            serverName: "srv", launch: ServerLaunch(command: "/usr/bin/srv", arguments: ["--stdio"], cwd: "/work"),
            recordedEnvNames: ["PATH", "SRV_TOKEN"],
            handshake: Handshake(
                stateless: false, protocolVersion: "2025-11-25",
                initializeParams: ["protocolVersion": "2025-11-25", "clientInfo": ["name": "c"]],
                clientAnswers: ["roots/list": ["roots": []]]),
            calls: [call], sourceRun: 3)
        let text = JSONWriter.string(plan.suiteJSON, pretty: true)
        let back = try ReplayPlan.fromSuite(try JSONParser.parse(text), path: "s.json")
        #expect(back.serverName == "srv" && back.launch == plan.launch && back.sourceRun == 3)
        #expect(back.recordedEnvNames == ["PATH", "SRV_TOKEN"])
        #expect(back.handshake.protocolVersion == "2025-11-25" && back.handshake.initializeParams?["clientInfo"]?["name"] == "c")
        #expect(back.handshake.clientAnswers["roots/list"] != nil)
        let c = try #require(back.calls.first)
        #expect(c.callID == 7 && c.tool == "echo" && c.expectedIsError && c.latencyMicros == 1234)
        #expect(c.startedAt == 1_700_000_000_123_456)
        #expect(c.sealed?.keyID == "00ff" && c.sealed?.bytes == [1, 2, 3, 250])
        #expect(c.params["arguments"]?["k"] == "[REDACTED]")
        #expect(c.isSafeToReplay)
        #expect(back.missingSecretVariables(environment: ["PATH": "/bin"]) == ["SRV_TOKEN"])
    }

    @Test func aFileThatIsNotASuiteIsAClearError() {
        #expect {
            try ReplayPlan.fromSuite(["calls": []], path: "x.json")
        } throws: { "\($0)".contains("x.json is not an Argus suite") }
    }
}
