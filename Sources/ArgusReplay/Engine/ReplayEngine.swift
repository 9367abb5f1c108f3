import ArgusCore
import ArgusProxy
import ArgusScripting
import ArgusStore
import Foundation

/// One call to replay: what was recorded, and where it came from.
public struct ReplayCall: Sendable {
    public var callID: Int64?
    public var method: String
    public var tool: String?
    /// The params as stored (redacted).
    public var params: JSONValue
    /// The sealed originals of redacted params, if kept.
    public var sealed: (keyID: String, bytes: [UInt8])?
    /// The recorded outcome: `{"result": …}` or `{"error": …}` (redacted).
    public var expected: JSONValue?
    public var expectedIsError: Bool
    public var latencyMicros: Int64?
    public var startedAt: Int64
    public var inputSchema: JSONValue?
    public var annotations: JSONValue?
    /// Whether a recorded `tools/list` had this tool (with or without annotations).
    public var toolListed = false

    /// Read-only by annotation (`readOnlyHint: true`) and not destructive.
    public var isSafeToReplay: Bool { safetyConcern == nil }

    public var safetyConcern: String? { safetyConcern(safeTools: []) }

    /// Why replaying could change something for real, or nil when it cannot: the tool is
    /// annotated read-only, or the user said it is safe (`safeTools`: globs from the config's
    /// `replay.safe_tools` and `--allow`). MCP's `destructiveHint` defaults to true for a tool
    /// that is not read-only, so a tool nobody vouches for is not assumed harmless; and a
    /// tool its server annotates destructive is never made safe by a glob.
    ///
    /// The text reads after "TOOL may change something when replayed: ".
    public func safetyConcern(safeTools: [String]) -> String? {
        if method != "tools/call" { return nil }
        if annotations?["destructiveHint"]?.boolValue == true { return "it is annotated destructive (destructiveHint: true)" }
        if annotations?["readOnlyHint"]?.boolValue == true { return nil }
        if let tool, safeTools.contains(where: { Glob.matches($0, tool) }) { return nil }
        if annotations != nil { return "it is not annotated read-only (readOnlyHint is not true)" }
        return toolListed || inputSchema != nil
            ? "its tools/list entry has no annotations to say it only reads"
            : "no tools/list was recorded for its server, so it has no annotations to say it only reads"
    }

    /// What the user can do about a concern: the durable way first.
    public func howToAllow() -> String {
        let name = tool ?? "TOOL"
        if annotations?["destructiveHint"]?.boolValue == true { return "--allow-destructive replays it anyway" }
        return "if it only reads, say so with --allow \(name) (a glob; repeatable) or in the config, "
            + "\"replay\": {\"safe_tools\": [\"\(name)\"]}; --allow-destructive replays it anyway"
    }
}

/// How the recorded client talked to the server.
public struct Handshake: Sendable {
    /// 2026-07-28 and later: no initialize, everything in each request's `_meta`.
    public var stateless: Bool
    public var protocolVersion: String?
    /// The recorded `initialize` params (legacy), used as they were.
    public var initializeParams: JSONValue?
    /// Responses the original client gave to server requests (roots/list, …), by method.
    public var clientAnswers: [String: JSONValue]

    public init(stateless: Bool, protocolVersion: String?, initializeParams: JSONValue?, clientAnswers: [String: JSONValue]) {
        self.stateless = stateless
        self.protocolVersion = protocolVersion
        self.initializeParams = initializeParams
        self.clientAnswers = clientAnswers
    }

    static let modernVersions: Set<String> = ["2026-07-28"]

    var json: JSONValue {
        ["stateless": .bool(stateless), "protocol_version": protocolVersion.map(JSONValue.string) ?? .null,
         "initialize": initializeParams ?? .null, "client_answers": .object(JSONObject(clientAnswers.sorted { $0.key < $1.key }.map { JSONMember($0.key, $0.value) }))]
    }

    init(json: JSONValue) {
        stateless = json["stateless"]?.boolValue ?? false
        protocolVersion = json["protocol_version"]?.stringValue
        initializeParams = json["initialize"]?.nonNull
        clientAnswers = Dictionary((json["client_answers"]?.objectValue?.members ?? []).map { ($0.key, $0.value) }) { $1 }
    }
}

/// What a replay came to.
public struct ReplayResult: Sendable {
    public enum Outcome: String, Sendable { case equal, changed, failed, skipped }

    public var call: ReplayCall
    public var outcome: Outcome
    /// What was sent (redacted for display).
    public var sentParams: JSONValue?
    /// What came back (redacted), `{"result": …}` or `{"error": …}`.
    public var actual: JSONValue?
    public var actualIsError: Bool
    public var changes: [JSONDiff.Change]
    public var latencyMicros: Int64?
    public var failure: String?

    public var isErrorChanged: Bool { outcome != .failed && outcome != .skipped && actualIsError != call.expectedIsError }

    public var json: JSONValue {
        var o: JSONObject = ["outcome": .string(outcome.rawValue), "method": .string(call.method)]
        o["call_id"] = call.callID.map { .number(String($0)) } ?? .null
        o["tool"] = call.tool.map(JSONValue.string) ?? .null
        o["params"] = sentParams ?? .null
        o["expected"] = call.expected ?? .null
        o["actual"] = actual ?? .null
        o["is_error"] = ["before": .bool(call.expectedIsError), "after": .bool(actualIsError), "changed": .bool(isErrorChanged)]
        o["latency_us"] = ["before": call.latencyMicros.map { .number(String($0)) } ?? .null,
                           "after": latencyMicros.map { .number(String($0)) } ?? .null]
        o["changes"] = .array(changes.map(\.json))
        o["failure"] = failure.map(JSONValue.string) ?? .null
        return .object(o)
    }
}

/// Replays recorded calls against a live server, without an LLM: starts the
/// server the way it was recorded, repeats the handshake the client did, sends
/// the call (with the real values of redacted params when they were sealed),
/// records the replay, and diffs the outcome against the original.
///
/// One engine is one replay session: the server stays warm across calls and is
/// restarted if it dies. Not thread-safe; use it from one thread.
public final class ReplayEngine {
    public struct Options: Sendable {
        public var databasePath: String
        public var keyPath: String
        public var timeoutSeconds: Double = 30
        public var ignore = IgnoreRules()
        /// Per tool (or "*"): ignore rules from the config.
        public var ignoreByTool: [String: [String]] = [:]
        public var scripts: [ScriptSpec] = []
        public var scriptLimits = ScriptLimits()
        public var redaction = RedactionPolicy()
        public var serverName: String
        /// Tools the user says are safe to replay (globs): config `replay.safe_tools` and `--allow`.
        public var safeTools: [String] = []

        public init(databasePath: String, keyPath: String, serverName: String) {
            self.databasePath = databasePath
            self.keyPath = keyPath
            self.serverName = serverName
        }
    }

    public let options: Options
    public let launch: ServerLaunch
    public let handshake: Handshake
    private var connection: ServerConnection?
    private var pipeline: RecordingPipeline?
    private let replays = ReplayLinks()
    private var nextID = 1
    private var serverTools: [String]?
    /// Set when a server could not be started and greeted: the calls after it fail
    /// at once with the same reason instead of each waiting out a start.
    private var startFailure: ReplayError?
    private let key: SecretKeyFile?
    private let keyProblem: String?
    private let scriptHost: ScriptHost?
    private let redactor: Redactor
    private let report: @Sendable (String) -> Void

    public init(options: Options, launch: ServerLaunch, handshake: Handshake, report: @escaping @Sendable (String) -> Void) {
        self.options = options
        self.launch = launch
        self.handshake = handshake
        self.report = report
        redactor = Redactor(policy: options.redaction)
        do {
            key = try SecretKeyFile.load(path: options.keyPath, create: false)
            keyProblem = key == nil ? "there is no key at \(options.keyPath)" : nil
        } catch {
            key = nil
            keyProblem = "\(error)"
        }
        scriptHost = options.scripts.isEmpty ? nil
            : ScriptHost(specs: options.scripts, options: .init(server: options.serverName, argusPID: getpid(), limits: options.scriptLimits),
                         report: report)
    }

    /// Starts and greets the server now, rather than on the first replay.
    public func warmUp() throws {
        _ = try connect()
    }

    /// The database id of the replay run, once its first row is written (waits up to `timeout` seconds).
    public func recordedRunID(timeout: Double = 5) -> Int64? {
        let deadline = Clock.monotonicNanos() + UInt64(timeout * 1e9)
        while Clock.monotonicNanos() < deadline {
            if let id = pipeline?.writer.databaseID(of: 1) { return id }  // a replay records one run: the recorder's first
            if pipeline == nil { return nil }
            Clock.sleep(seconds: 0.005)
        }
        return nil
    }

    /// Stops the server and writes the replay run.
    public func close() {
        // How the run ended, judged before closing the server's input makes it exit.
        let reason: EndReason, detail: String?
        if let startFailure {
            (reason, detail) = (.serverFailedToStart, startFailure.description)
        } else if let connection, connection.hasExited {
            (reason, detail) = (.serverExited, connection.exitDescription?.description)
        } else {
            (reason, detail) = (.replayFinished, nil)
        }
        connection?.close()
        pipeline?.finish(reason: reason, detail: detail, exitStatus: connection?.exitDescription?.shellStatus)
        connection = nil
        pipeline = nil
    }

    deinit { close() }

    // MARK: replaying

    /// Replays one call. `patch` is a JSON merge patch applied to the tool's
    /// arguments (or the params of other methods); `ignore` adds to the engine's rules for this call.
    public func replay(_ call: ReplayCall, patch: JSONValue? = nil, ignore extra: IgnoreRules = IgnoreRules()) -> ReplayResult {
        var result = ReplayResult(call: call, outcome: .failed, actualIsError: false, changes: [])
        do {
            let params = try prepareParams(call, patch: patch)
            result.sentParams = redactor.redact(params) ?? params
            let connection = try connect()
            if let tool = call.tool, call.method == "tools/call", let tools = serverTools, !tools.contains(tool) {
                throw ReplayError.toolGone(tool: tool, available: tools)
            }
            let id = JSONValue.string("replay-\(nextID)")
            nextID += 1
            if let original = call.callID { replays.link(JSONWriter.string(id), to: original) }
            let (response, latency) = try connection.request(call.method, params: params, id: id, timeout: options.timeoutSeconds)
            result.latencyMicros = latency
            let outcome = Self.outcome(of: response)
            let actual = redactor.redact(outcome) ?? outcome
            result.actual = actual
            result.actualIsError = response["error"] != nil || response["result"]?["isError"]?.boolValue == true
            let rules = options.ignore.adding((options.ignoreByTool["*"] ?? []) + (call.tool.flatMap { options.ignoreByTool[$0] } ?? [])
                                              + extra.patterns)
            let expected = try normalize(call.expected ?? .null, call: call)
            let normalized = try normalize(actual, call: call)
            result.changes = JSONDiff.diff(expected, normalized, ignoring: rules)
            result.outcome = result.changes.isEmpty && !result.isErrorChanged ? .equal : .changed
        } catch let error as ReplayError {
            result.failure = error.description
        } catch {
            result.failure = "\(error)"
        }
        return result
    }

    static func outcome(of response: JSONValue) -> JSONValue {
        if let error = response["error"] { return ["error": error] }
        return ["result": response["result"] ?? .null]
    }

    /// The params to send: the sealed originals when there are any, then the
    /// patch, then `mutate_replay` scripts; checked against the recorded schema.
    func prepareParams(_ call: ReplayCall, patch: JSONValue?) throws -> JSONValue {
        var params = call.params
        if let sealed = call.sealed {
            if let key, key.keyID == sealed.keyID, let opened = try? key.unseal(sealed.bytes),
               let original = try? JSONParser.parse(opened) {
                params = original
            } else {
                let reason = key == nil ? (keyProblem ?? "no key")
                    : "they were sealed with key \(sealed.keyID), and \(options.keyPath) is key \(key!.keyID)"
                try checkNoRedactedValues(call.params, patch: patch, reason: reason, method: call.method)
            }
        } else {
            try checkNoRedactedValues(call.params, patch: patch, reason: "they were not kept when the call was recorded",
                                      method: call.method)
        }
        if let patch {
            if call.method == "tools/call" {
                guard case .object(var p) = params else { throw ReplayError.protocolError("the recorded params are not an object") }
                p["arguments"] = Self.mergePatch(p["arguments"] ?? [:], patch)
                params = .object(p)
            } else {
                params = Self.mergePatch(params, patch)
            }
        }
        if let host = scriptHost {
            let hookCall = HookCall(phase: .request, run: 0, server: options.serverName, direction: .clientToServer,
                                    method: call.method, tool: call.tool, startedAt: call.startedAt,
                                    requestBody: JSONWriter.string(["jsonrpc": "2.0", "method": .string(call.method), "params": params]),
                                    callID: call.callID)
            do {
                let mutated = try host.mutateReplay(params, call: hookCall) { _ in }
                params = mutated.reordered(like: params)
            } catch {
                throw ReplayError.mutation(error.description)
            }
        }
        if call.method == "tools/call", let schema = call.inputSchema {
            let problems = SchemaCheck.problems(params["arguments"] ?? [:], schema: schema)
            if !problems.isEmpty { throw ReplayError.invalidParams(tool: call.tool ?? "the tool", problems: problems) }
        }
        if handshake.stateless { params = Self.withMeta(params, handshake: handshake) }
        return params
    }

    /// A redacted value still in the params (not replaced by the patch) cannot be sent.
    func checkNoRedactedValues(_ params: JSONValue, patch: JSONValue?, reason: String, method: String) throws {
        var pointers: [String] = []
        Self.findMarkers(params, path: [], into: &pointers)
        let base = method == "tools/call" ? "/arguments/" : "/"
        let patched = Set(Self.patchedPointers(patch ?? .null, prefix: String(base.dropLast())))
        let missing = pointers.filter { pointer in !patched.contains { pointer == $0 || pointer.hasPrefix($0 + "/") } }
        if !missing.isEmpty { throw ReplayError.missingSecrets(pointers: missing, reason: reason) }
    }

    static func findMarkers(_ value: JSONValue, path: [String], into pointers: inout [String]) {
        switch value {
        case .string(let s) where s.contains("[REDACTED"): pointers.append(Redactor.pointer(path))
        case .array(let items): for (i, item) in items.enumerated() { findMarkers(item, path: path + [String(i)], into: &pointers) }
        case .object(let o): for m in o.members { findMarkers(m.value, path: path + [m.key], into: &pointers) }
        default: break
        }
    }

    static func patchedPointers(_ patch: JSONValue, prefix: String) -> [String] {
        guard case .object(let o) = patch else { return [] }
        return o.members.flatMap { m -> [String] in
            let here = prefix + "/" + m.key
            return [here] + patchedPointers(m.value, prefix: here)
        }
    }

    /// The merge patch that turns `original` into `edited` (members removed become null).
    /// Arrays and other values are replaced whole, as RFC 7386 does.
    public static func mergePatch(from original: JSONValue, to edited: JSONValue) -> JSONValue? {
        guard case .object(let a) = original, case .object(let b) = edited else {
            return original.sameValue(as: edited) ? Optional.none : edited
        }
        var patch = JSONObject()
        for member in b.members {
            if let before = a[member.key] {
                if let inner = mergePatch(from: before, to: member.value) { patch[member.key] = inner }
            } else {
                patch[member.key] = member.value
            }
        }
        for member in a.members where b[member.key] == nil { patch[member.key] = .null }
        return patch.members.isEmpty ? Optional.none : .object(patch)
    }

    /// RFC 7386 JSON merge patch.
    public static func mergePatch(_ target: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(let p) = patch else { return patch }
        var result = target.objectValue ?? JSONObject()
        for member in p.members {
            if member.value.isNull {
                result[member.key] = nil
            } else {
                result[member.key] = mergePatch(result[member.key] ?? .null, member.value)
            }
        }
        return .object(result)
    }

    static func withMeta(_ params: JSONValue, handshake: Handshake) -> JSONValue {
        guard case .object(var p) = params else { return params }
        var meta = p["_meta"]?.objectValue ?? JSONObject()
        if meta["io.modelcontextprotocol/protocolVersion"] == nil {
            meta["io.modelcontextprotocol/protocolVersion"] = .string(handshake.protocolVersion ?? "2026-07-28")
            meta["io.modelcontextprotocol/clientInfo"] = ["name": "argus-replay", "version": .string(argusVersion)]
            meta["io.modelcontextprotocol/clientCapabilities"] = [:]
            p["_meta"] = .object(meta)
        }
        return .object(p)
    }

    private func normalize(_ value: JSONValue, call: ReplayCall) throws -> JSONValue {
        guard let host = scriptHost else { return value }
        let hookCall = HookCall(phase: .response, run: 0, server: options.serverName, direction: .clientToServer,
                                method: call.method, tool: call.tool, startedAt: call.startedAt, callID: call.callID)
        do {
            return try host.normalize(value, call: hookCall)
        } catch {
            throw ReplayError.mutation(error.description)
        }
    }

    // MARK: the server

    /// The warm connection, or a new one (started and greeted) when there is none or it died.
    private func connect() throws -> ServerConnection {
        if let connection, !connection.hasExited { return connection }
        if let startFailure { throw startFailure }
        if let old = connection {
            report("argus: the server \(old.exitDescription?.description ?? "exited"); starting it again")
            old.close()
            self.connection = nil
        }
        do {
            return try start()
        } catch {
            let failure = error as? ReplayError ?? .protocolError("\(error)")
            startFailure = failure
            throw failure
        }
    }

    private func start() throws -> ServerConnection {
        let pipeline = try recordingPipeline()
        let answers = handshake.clientAnswers
        let arguments = try launchArguments()
        // The values redacted from the command line are scrubbed from what the server answers, as when recording.
        _ = redactor.redactArguments(command: launch.command, arguments)
        let connection = try ServerConnection(launch: launch, arguments: arguments, pipeline: pipeline,
                                              redactor: redactor) { request in
            let id = request["id"] ?? .null
            let method = request["method"]?.stringValue ?? ""
            if let recorded = answers[method] { return ["jsonrpc": "2.0", "id": id, "result": recorded] }
            switch method {
            case "ping": return ["jsonrpc": "2.0", "id": id, "result": [:]]
            case "roots/list": return ["jsonrpc": "2.0", "id": id, "result": ["roots": []]]
            default:
                return ["jsonrpc": "2.0", "id": id,
                        "error": ["code": -32601, "message": .string("argus replay cannot answer \(method)")]]
            }
        }
        self.connection = connection
        try greet(connection)
        return connection
    }

    private func greet(_ connection: ServerConnection) throws {
        let timeout = options.timeoutSeconds
        do {
            if !handshake.stateless {
                let params = handshake.initializeParams ?? [
                    "protocolVersion": .string(handshake.protocolVersion ?? "2025-11-25"), "capabilities": [:],
                    "clientInfo": ["name": "argus-replay", "version": .string(argusVersion)],
                ]
                let (response, _) = try connection.request("initialize", params: params, id: "replay-init", timeout: timeout)
                if let error = response["error"] {
                    throw ReplayError.protocolError("the server refused initialize: \(error["message"]?.stringValue ?? "\(error)")")
                }
                connection.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
            }
            let listParams: JSONValue = handshake.stateless ? Self.withMeta([:], handshake: handshake) : [:]
            let (tools, _) = try connection.request("tools/list", params: listParams, id: "replay-tools", timeout: timeout)
            serverTools = tools["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        } catch let error as ReplayError {
            if case .serverExited = error {
                throw ReplayError.serverFailedToStart(command: launch.display, reason: connection.exitDescription?.description ?? "exited",
                                                      stderr: connection.stderrTextAfterExit)
            }
            throw error
        }
    }

    /// The arguments to start the server with: the sealed originals when the recorded
    /// command line was redacted, or the recorded ones when nothing in them was.
    func launchArguments() throws -> [String] {
        guard let sealed = launch.sealedArguments else {
            if launch.arguments.contains(where: { $0.contains("[REDACTED") }) {
                throw ReplayError.redactedArguments(command: launch.display, reason: "the originals were not kept (sealing was off)")
            }
            return launch.arguments
        }
        guard let key, key.keyID == sealed.keyID else {
            let reason = key.map { "the originals were sealed with key \(sealed.keyID), and \(options.keyPath) is key \($0.keyID)" }
                ?? "the originals cannot be opened: \(keyProblem ?? "no key")"
            throw ReplayError.redactedArguments(command: launch.display, reason: reason)
        }
        guard let opened = try? key.unseal(sealed.bytes), let array = (try? JSONParser.parse(opened))?.arrayValue else {
            throw ReplayError.redactedArguments(command: launch.display, reason: "the sealed originals do not open with \(options.keyPath)")
        }
        return array.compactMap(\.stringValue)
    }

    private func recordingPipeline() throws -> RecordingPipeline {
        if let pipeline { return pipeline }
        // The replay run is recorded like any session: its recorder redacts these arguments and seals them again.
        var config = RecorderConfig(serverName: options.serverName,
                                    launch: LaunchSpec(command: launch.command, args: try launchArguments(),
                                                       cwd: launch.cwd ?? FileManager.default.currentDirectoryPath,
                                                       envNames: ProcessInfo.processInfo.environment.keys.sorted()),
                                    idleTimeoutSeconds: 1e9, redaction: options.redaction, argusPID: getpid())
        config.runKind = "replay"
        config.sealer = KeyFileSealer(path: options.keyPath, report: report)
        let links = replays
        config.replayOf = { links.original(of: $0) }
        let scripts = options.scripts, limits = options.scriptLimits, server = options.serverName, report = self.report
        var makeHooks: (@Sendable (BatchedWriter) -> RecordingHooks?)?
        if !scripts.isEmpty {
            // Recording the replay runs the same scripts (their redaction above all), on the recorder thread.
            makeHooks = { (writer: BatchedWriter) -> RecordingHooks? in
                ScriptHost(specs: scripts, options: ScriptHost.Options(server: server, argusPID: getpid(), limits: limits),
                           report: report, databaseRunID: { writer.databaseID(of: $0) })
            }
        }
        let pipeline = RecordingPipeline(config: config, options: .init(databasePath: options.databasePath), report: report,
                                         makeHooks: makeHooks)
        self.pipeline = pipeline
        return pipeline
    }
}

/// Which recorded call each replay request (by JSON-RPC id text) replays; read by the recorder thread.
final class ReplayLinks: @unchecked Sendable {
    private let monitor = Monitor()
    private var links: [String: Int64] = [:]

    func link(_ id: String, to original: Int64) { monitor.locked { links[id] = original } }
    func original(of id: String) -> Int64? { monitor.locked { links[id] } }
}
