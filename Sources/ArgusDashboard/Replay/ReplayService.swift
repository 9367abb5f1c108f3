import ArgusCore
import ArgusReplay
import ArgusStore
import ArgusSystem
import Foundation

/// Replay for the dashboard: the same engine as `argus replay`. A one-off
/// replay starts the call's server, replays and stops it; a session
/// (`POST /api/runs/start`) keeps a warm server for many replays until
/// `POST /api/runs/:id/stop` or ten idle minutes.
final class ReplayService: @unchecked Sendable {
    struct Settings: Sendable {
        /// Database, key, ignore rules, scripts, limits and redaction; `serverName` is replaced per plan.
        var template: ReplayEngine.Options
        /// Servers named in the configuration.
        var servers: [String: ServerLaunch]
        var sessionIdleSeconds: Double = 600
    }

    /// A warm server and the one thread that talks to it. The thread matters:
    /// a child is signalled when the thread that started it ends (PDEATHSIG),
    /// and request threads end with their request.
    final class Session: @unchecked Sendable {
        let engine: ReplayEngine
        let worker: SerialWorker
        let runID: Int64
        let lock = Monitor()
        var lastUsed = SystemClock.monotonicNanos()

        init(engine: ReplayEngine, worker: SerialWorker, runID: Int64) {
            self.engine = engine
            self.worker = worker
            self.runID = runID
        }

        func close() {
            _ = worker.run { self.engine.close() }
            worker.stop()
        }
    }

    let settings: Settings
    private let pool: ReaderPool
    private let monitor = Monitor()
    private var sessions: [Int64: Session] = [:]
    private var stopped = false

    init(settings: Settings, pool: ReaderPool) {
        self.settings = settings
        self.pool = pool
        OSThread(name: "replay-reaper", background: true) { [self] in reap() }
    }

    /// The plan for one recorded call: 404 for an unknown call, 422 for one that cannot be replayed.
    /// A call recorded over HTTP goes to its URL with the headers of the configured server at
    /// that address (`servers.NAME.url`, `headers`): a recording holds no credentials.
    private func plan(callID: Int64) throws(HTTPError) -> ReplayPlan {
        do {
            var plan = try pool.withReader { try ReplayPlan.forCall(callID, reader: $0) }
            plan.launch = plan.launch.withConfiguredRemote(settings.servers.values)
            return plan
        } catch let error as ReplayError {
            if case .unknownCall = error { throw HTTPError(404, error.description) }
            throw HTTPError(422, error.description)
        } catch {
            throw HTTPError(500, "\(error)")
        }
    }

    /// A replay's checks, made before it: what is wrong with edited arguments (`SchemaCheck`
    /// against the tool's recorded input schema, as the engine checks them before it sends), and,
    /// for a tool that may change something, the question to ask first (`argus replay`'s words).
    func check(callID: Int64, arguments: JSONValue?) throws -> (problems: [String], confirmation: String?) {
        let call = try plan(callID: callID).calls[0]
        var problems: [String] = []
        if let arguments, call.method == MCP.Method.toolsCall, let schema = call.inputSchema {
            problems = SchemaCheck.problems(arguments, schema: schema)
        }
        return (problems, concern(call).map { $0 + "." })
    }

    /// "TOOL may change something when replayed: WHY", or nil when it only reads or the user said
    /// so (`replay.safe_tools`).
    private func concern(_ call: ReplayCall) -> String? {
        call.safetyConcern(safeTools: settings.template.safeTools).map {
            "\(call.tool ?? "this tool") may change something when replayed: \($0)"
        }
    }

    /// Replays one call. `patch` is a JSON merge patch over the recorded arguments (the params of
    /// other methods), as the user edited them; values it leaves alone, redacted ones among them,
    /// are sent as recorded, from their sealed originals.
    func replay(callID: Int64, patch: JSONValue?, ignore: [String], confirmDestructive: Bool, sessionRun: Int64?) throws -> JSONValue {
        let plan = try plan(callID: callID)
        let call = plan.calls[0]
        if let concern = concern(call), !confirmDestructive {
            throw HTTPError(409, "\(concern). Confirm to replay (confirm_destructive: true).")
        }
        var warnings = plan.missingSecretVariables(environment: ProcessInfo.processInfo.environment).map {
            "the recorded server had \($0) in its environment and the dashboard's environment does not"
        }

        let result: ReplayResult
        var options = settings.template
        if let sessionRun {
            guard let session = monitor.locked({ sessions[sessionRun] }) else {
                throw HTTPError(404, "no replay session \(sessionRun) (it was stopped or idle for too long)")
            }
            session.lock.locked { session.lastUsed = SystemClock.monotonicNanos() }
            guard let replayed = session.worker.run({ session.engine.replay(call, patch: patch, ignore: IgnoreRules(ignore)) }) else {
                throw HTTPError(404, "replay session \(sessionRun) was stopped")
            }
            result = replayed
        } else {
            options.serverName = plan.serverName
            let engine = ReplayEngine(options: options, launch: plan.launch, handshake: plan.handshake, report: { _ in })
            result = engine.replay(call, patch: patch, ignore: IgnoreRules(ignore))
            engine.close()
        }
        if result.outcome == .failed && warnings.isEmpty == false {
            warnings.append("a missing variable may be why the replay failed")
        }
        guard case .object(var body) = result.json else { return result.json }
        body["warnings"] = .array(warnings.map(JSONValue.string))
        // Where the page marks redacted values on either side of the diff.
        body["expected_redacted_paths"] = RedactedPaths.json(in: result.call.expected)
        body["actual_redacted_paths"] = RedactedPaths.json(in: result.actual)
        return .object(body)
    }

    /// Starts a warm server: a named server from the config, or the one a recorded run used.
    func startSession(serverName: String?, fromRun: Int64?) throws(HTTPError) -> JSONValue {
        var plan: ReplayPlan
        do {
            if let fromRun {
                plan = try pool.withReader { try ReplayPlan.forRun(fromRun, reader: $0, calls: []) }
                plan.launch = plan.launch.withConfiguredRemote(settings.servers.values)
            } else if let serverName, let launch = settings.servers[serverName] {
                plan = ReplayPlan(
                    serverName: serverName, launch: launch, recordedEnvNames: [],
                    handshake: Handshake(stateless: false, protocolVersion: nil, initializeParams: nil, clientAnswers: [:]),
                    calls: [], sourceRun: nil)
            } else if let serverName {
                let known = settings.servers.keys.sorted()
                throw HTTPError(
                    404,
                    "no server named \(serverName) in the configuration"
                        + (known.isEmpty ? "" : " (it has: \(known.joined(separator: ", ")))"))
            } else {
                throw HTTPError(400, "give \"server\" (a name from the configuration) or \"from_run\" (a recorded run id)")
            }
        } catch let error as HTTPError {
            throw error
        } catch {
            throw HTTPError(422, "\(error)")
        }
        if let serverName, fromRun != nil, let launch = settings.servers[serverName] {
            plan.launch = launch  // a recorded run's handshake, with a configured server
            plan.serverName = serverName
        }
        var options = settings.template
        options.serverName = plan.serverName
        let worker = SerialWorker(name: "replay-session")
        let launch = plan.launch, handshake = plan.handshake
        guard
            let (engine, failure, runID) = worker.run({ () -> (ReplayEngine, String?, Int64?) in
                let engine = ReplayEngine(options: options, launch: launch, handshake: handshake, report: { _ in })
                do {
                    try engine.warmUp()
                } catch {
                    engine.close()
                    return (engine, "\(error)", nil)
                }
                return (engine, nil, engine.recordedRunID())
            })
        else {
            throw HTTPError(500, "the replay worker stopped")
        }
        if let failure {
            worker.stop()
            throw HTTPError(502, failure)
        }
        guard let runID else {
            _ = worker.run { engine.close() }
            worker.stop()
            throw HTTPError(500, "the replay run was not recorded (is the database writable?)")
        }
        monitor.locked { sessions[runID] = Session(engine: engine, worker: worker, runID: runID) }
        return ["run_id": .number(String(runID)), "server": .string(plan.serverName), "command": .string(plan.launch.display)]
    }

    /// Stops a session's server. False when the run is not a session of this dashboard.
    func stopSession(runID: Int64) -> Bool {
        guard let session = monitor.locked({ sessions.removeValue(forKey: runID) }) else { return false }
        session.close()
        return true
    }

    var sessionRunIDs: [Int64] { monitor.locked { Array(sessions.keys).sorted() } }

    func closeAll() {
        let all = monitor.locked { () -> [Session] in
            stopped = true
            defer { sessions.removeAll() }
            return Array(sessions.values)
        }
        for session in all { session.close() }
    }

    private func reap() {
        while !monitor.locked({ stopped }) {
            SystemClock.sleep(seconds: 5)
            let now = SystemClock.monotonicNanos()
            let idle = monitor.locked { () -> [Session] in
                let expired = sessions.values.filter { session in
                    session.lock.locked { Double(now - session.lastUsed) / 1e9 > settings.sessionIdleSeconds }
                }
                for session in expired { sessions.removeValue(forKey: session.runID) }
                return expired
            }
            for session in idle { session.close() }
        }
    }
}
