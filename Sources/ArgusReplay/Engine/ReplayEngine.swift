import ArgusCore
import ArgusScripting
import Foundation

/// Replays recorded calls against a live server, without an LLM: starts the
/// server the way it was recorded (or connects to the URL it was recorded at), repeats the handshake the client did, sends
/// the call (with the real values of redacted params when they were sealed),
/// records the replay, and diffs the outcome against the original.
///
/// One engine is one replay session: the server stays warm across calls and is
/// restarted if it dies; every call is recorded into one replay run, whose id each
/// result carries. Not thread-safe; use it from one thread.
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
        /// Redaction for this environment; the engine adds the secrets of the launch's extra environment.
        public var redaction = RedactionPolicy()
        public var serverName: String
        /// Tools the user says are safe to replay (globs): config `replay.safe_tools` and `--allow`.
        public var safeTools: [String] = []
        /// The recorded run's kind: `replay`, or `wrap` when the engine drives a server for the first
        /// time (`argus record --scenario`): that run is real traffic, not a replay of any.
        public var runKind = "replay"
        /// Opens connections to remote servers (runs recorded over HTTP); nil where no HTTP stack
        /// is loaded, and then a remote run cannot be replayed.
        public var remoteConnector: (any RemoteReplayConnector)?

        public init(databasePath: String, keyPath: String, serverName: String) {
            self.databasePath = databasePath
            self.keyPath = keyPath
            self.serverName = serverName
        }
    }

    public let options: Options
    public let launch: ServerLaunch
    public let handshake: Handshake
    private var connection: (any ReplayConnection)?
    /// A remote launch's address and filled-in headers, or why they cannot be used.
    private let remote: Result<any RemoteReplayTarget, ReplayError>?
    private var recording: ReplayRecording?
    private var nextID = 1
    private var serverTools: [String]?
    /// Set when a server could not be started and greeted: the calls after it fail
    /// at once with the same reason instead of each waiting out a start.
    private var startFailure: ReplayError?
    private let key: ReplayKey
    /// Loaded once, for `mutate_replay` and `normalize` here and for the recording's hooks.
    private let scripts: ReplayScripts?
    private let redactor: Redactor
    private let report: @Sendable (String) -> Void
    /// The recorded client's answers to the server's requests during the call being replayed.
    private let clientAnswers = RecordedClientAnswers()

    public init(options: Options, launch: ServerLaunch, handshake: Handshake, report: @escaping @Sendable (String) -> Void) {
        var options = options
        // The replayed server sees this environment plus the launch's extra variables: their secret values are redacted too.
        options.redaction = options.redaction.including(environment: launch.extraEnvironment)
        remote = launch.isRemote ? Self.remoteTarget(launch, connector: options.remoteConnector) : nil
        // The headers' values (credentials, mostly) are scrubbed from what is recorded, as by `argus wrap --url`.
        if case .success(let target)? = remote { options.redaction = target.redaction(options.redaction) }
        self.options = options
        self.launch = launch
        self.handshake = handshake
        self.report = report
        redactor = Redactor(policy: options.redaction)
        key = ReplayKey(path: options.keyPath)
        scripts =
            options.scripts.isEmpty
            ? nil
            : ReplayScripts(specs: options.scripts, serverName: options.serverName, limits: options.scriptLimits, report: report)
    }

    /// Starts and greets the server now, rather than on the first replay.
    public func warmUp() throws {
        _ = try connect()
    }

    /// The database id of the replay run, once its row is committed (waits up to `timeout` seconds,
    /// once: see `ReplayRecording`); nil before a server was started.
    public func recordedRunID(timeout: Double = 5) -> Int64? {
        recording?.databaseRunID(timeout: timeout)
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
            (reason, detail) = (options.runKind == "replay" ? .replayFinished : .clientEOF, nil)
        }
        connection?.close()
        recording?.finish(reason: reason, detail: detail, exitStatus: connection?.exitDescription?.shellStatus)
        connection = nil
        recording = nil
    }

    deinit { close() }

    // MARK: replaying

    /// Replays one call. `patch` is a JSON merge patch applied to the tool's
    /// arguments (or the params of other methods); `ignore` adds to the engine's rules for this call.
    public func replay(_ call: ReplayCall, patch: JSONValue? = nil, ignore extra: IgnoreRules = IgnoreRules()) -> ReplayResult {
        var result = ReplayResult(call: call, outcome: .failed, actualIsError: false, changes: [])
        do throws(ReplayError) {
            let params = try prepareParams(call, patch: patch)
            result.sentParams = redactor.redact(params) ?? params
            let connection = try connect()
            if let tool = call.tool, call.method == MCP.Method.toolsCall, let tools = serverTools, !tools.contains(tool) {
                throw ReplayError.toolGone(tool: tool, available: tools)
            }
            let id = JSONValue.string("replay-\(nextID)")
            nextID += 1
            if let original = call.callID { recording?.link(requestID: JSONWriter.string(id), to: original) }
            clientAnswers.expect(call)
            defer { clientAnswers.expect(nil) }
            let (response, latency) = try connection.request(call.method, params: params, id: id, timeout: options.timeoutSeconds)
            result.latencyMicros = latency
            let outcome = ReplayResult.outcome(of: response)
            let actual = redactor.redact(outcome) ?? outcome
            result.actual = actual
            result.actualIsError = ReplayResult.isError(response)
            let rules = options.ignore.adding(
                (options.ignoreByTool["*"] ?? []) + (call.tool.flatMap { options.ignoreByTool[$0] } ?? [])
                    + extra.patterns)
            let expected = try normalize(call.expected ?? .null, call: call)
            let normalized = try normalize(actual, call: call)
            result.changes = JSONDiff.diff(expected, normalized, ignoring: rules)
            result.outcome = result.changes.isEmpty && !result.isErrorChanged ? .equal : .changed
        } catch {
            result.failure = error.description
        }
        result.replayRunID = recordedRunID(timeout: 2)
        return result
    }

    /// The params to send: the sealed originals when there are any, then the
    /// patch, then `mutate_replay` scripts; checked against the recorded schema.
    func prepareParams(_ call: ReplayCall, patch: JSONValue?) throws(ReplayError) -> JSONValue {
        var params = call.params
        switch call.sealed.map(key.open) {
        case .success(let original)?:
            params = original
        case .failure(let problem)?:
            try checkNoRedactedValues(call, patch: patch, reason: problem.description)
        case nil:
            try checkNoRedactedValues(call, patch: patch, reason: "they were not kept when the call was recorded")
        }
        if let patch {
            if call.method == MCP.Method.toolsCall {
                guard case .object(var p) = params else { throw ReplayError.protocolError("the recorded params are not an object") }
                p["arguments"] = JSONMergePatch.apply(patch, to: p["arguments"] ?? [:])
                params = .object(p)
            } else {
                params = JSONMergePatch.apply(patch, to: params)
            }
        }
        if let scripts {
            let hookCall = HookCall(
                phase: .request, run: 0, server: options.serverName, direction: .clientToServer,
                method: call.method, tool: call.tool, startedAt: call.startedAt,
                requestBody: JSONWriter.string(["jsonrpc": "2.0", "method": .string(call.method), "params": params]),
                callID: call.callID)
            params = try scripts.mutateReplay(params, call: hookCall).reordered(like: params)
        }
        if call.method == MCP.Method.toolsCall, let schema = call.inputSchema {
            let problems = SchemaCheck.problems(params["arguments"] ?? [:], schema: schema)
            if !problems.isEmpty { throw ReplayError.invalidParams(tool: call.tool ?? "the tool", problems: problems) }
        }
        if handshake.stateless { params = handshake.withMeta(params) }
        return params
    }

    /// A redacted value still in the params (not replaced by the patch) cannot be sent.
    func checkNoRedactedValues(_ call: ReplayCall, patch: JSONValue?, reason: String) throws(ReplayError) {
        var redacted: [[String]] = []
        Self.findMarkers(call.params, path: [], into: &redacted)
        // The patch applies to a tool's arguments, and to the whole params of other methods.
        let patchRoot = call.method == MCP.Method.toolsCall ? ["arguments"] : []
        let missing = redacted.filter { path in
            guard let patch, path.starts(with: patchRoot) else { return true }
            return !JSONMergePatch.replaces(patch, valueAt: Array(path.dropFirst(patchRoot.count)))
        }
        if !missing.isEmpty { throw ReplayError.missingSecrets(pointers: missing.map(Redactor.pointer), reason: reason) }
    }

    static func findMarkers(_ value: JSONValue, path: [String], into paths: inout [[String]]) {
        switch value {
        case .string(let s) where RedactionMarker.containsRedaction(s): paths.append(path)
        case .array(let items): for (i, item) in items.enumerated() { findMarkers(item, path: path + [String(i)], into: &paths) }
        case .object(let o): for m in o.members { findMarkers(m.value, path: path + [m.key], into: &paths) }
        default: break
        }
    }

    private func normalize(_ value: JSONValue, call: ReplayCall) throws(ReplayError) -> JSONValue {
        guard let scripts else { return value }
        let hookCall = HookCall(
            phase: .response, run: 0, server: options.serverName, direction: .clientToServer,
            method: call.method, tool: call.tool, startedAt: call.startedAt, callID: call.callID)
        return try scripts.normalize(value, call: hookCall)
    }

    // MARK: the server

    /// The warm connection, or a new one (started and greeted) when there is none or it died.
    private func connect() throws(ReplayError) -> any ReplayConnection {
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
            startFailure = error
            throw error
        }
    }

    private func start() throws(ReplayError) -> any ReplayConnection {
        let answer: @Sendable (JSONValue) -> JSONValue = { [handshake, clientAnswers] in
            clientAnswers.answer(to: $0) ?? handshake.answer(to: $0)
        }
        let connection: any ReplayConnection
        if let remote {
            let target = try remote.get()
            let recording = self.recording ?? startRecording(target.launch)
            connection = try target.connect(pipeline: recording.pipeline, answer: answer)
        } else {
            let arguments = try launchArguments.get()
            let recording = self.recording ?? startRecording(stdioLaunch(arguments: arguments))
            connection = try ServerConnection(
                launch: launch, arguments: arguments, pipeline: recording.pipeline, redactor: redactor, answer: answer)
        }
        self.connection = connection
        try greet(connection)
        return connection
    }

    private func greet(_ connection: any ReplayConnection) throws(ReplayError) {
        let timeout = options.timeoutSeconds
        do throws(ReplayError) {
            if !handshake.stateless {
                let (response, _) = try connection.request(
                    MCP.Method.initialize, params: handshake.initializeRequestParams, id: "replay-init",
                    timeout: timeout)
                if let error = response["error"] {
                    throw ReplayError.protocolError("the server refused initialize: \(error["message"]?.stringValue ?? "\(error)")")
                }
                connection.send(["jsonrpc": "2.0", "method": .string(MCP.Method.initialized)])
            }
            let listParams: JSONValue = handshake.stateless ? handshake.withMeta([:]) : [:]
            let (tools, _) = try connection.request(MCP.Method.toolsList, params: listParams, id: "replay-tools", timeout: timeout)
            serverTools = tools["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        } catch {
            if case .serverExited = error {
                throw ReplayError.serverFailedToStart(
                    command: launch.display, reason: connection.exitDescription?.description ?? "exited",
                    stderr: connection.stderrTextAfterExit)
            }
            throw error
        }
    }

    /// The arguments to start the server with: the sealed originals when the recorded
    /// command line was redacted, or the recorded ones when nothing in them was. Decided once:
    /// a restarted server gets the same.
    private lazy var launchArguments: Result<[String], ReplayError> = {
        var arguments = launch.arguments
        if let sealed = launch.sealedArguments {
            let opened = key.open(sealed).flatMap { value in
                value.arrayValue.map { .success($0.compactMap(\.stringValue)) } ?? .failure(.doesNotOpen(path: key.path))
            }
            switch opened {
            case .success(let originals): arguments = originals
            case .failure(let problem):
                return .failure(.redactedArguments(command: launch.display, reason: "the originals cannot be opened: \(problem)"))
            }
        } else if arguments.contains(where: RedactionMarker.containsRedaction) {
            return .failure(.redactedArguments(command: launch.display, reason: "the originals were not kept (sealing was off)"))
        }
        // The secrets on the command line are scrubbed from what the server answers, as when recording.
        _ = redactor.redactArguments(command: launch.command, arguments)
        return .success(arguments)
    }()

    /// A remote launch's target: its address checked and its headers filled in, once.
    private static func remoteTarget(_ launch: ServerLaunch, connector: (any RemoteReplayConnector)?)
        -> Result<any RemoteReplayTarget, ReplayError>
    {
        guard let connector else {
            return .failure(
                .serverFailedToStart(
                    command: launch.display, reason: "is a remote server, and this program cannot speak HTTP to it", stderr: ""))
        }
        do {
            return .success(
                try connector.target(url: launch.command, headers: launch.headers, environment: ProcessInfo.processInfo.environment))
        } catch {
            return .failure(error)
        }
    }

    /// A child's launch as the replay run records it: the arguments it was started with.
    private func stdioLaunch(arguments: [String]) -> LaunchSpec {
        LaunchSpec(
            command: launch.command, args: arguments, cwd: launch.cwd ?? FileManager.default.currentDirectoryPath,
            envNames: ProcessInfo.processInfo.environment.keys.sorted())
    }

    /// The replay run's recording, begun with the first server start (its launch is the run's command line).
    private func startRecording(_ launchSpec: LaunchSpec) -> ReplayRecording {
        let recording = ReplayRecording(
            serverName: options.serverName, launch: launchSpec,
            redaction: options.redaction, keyPath: options.keyPath, databasePath: options.databasePath,
            scripts: scripts, kind: options.runKind, report: report)
        self.recording = recording
        return recording
    }
}
