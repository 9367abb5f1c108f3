import ArgusCore
import ArgusReplay
import ArgusStore
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
        var lastUsed = Clock.monotonicNanos()

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

    struct Outcome {
        var status: Int
        var body: JSONValue
    }

    static func failure(_ status: Int, _ message: String) -> Outcome {
        Outcome(status: status, body: ["error": ["status": .int(status), "message": .string(message)]])
    }

    /// Replays one call. `arguments` are the edited arguments as the user sees
    /// them (redacted values left as markers are filled from the sealed originals).
    func replay(callID: Int64, arguments: JSONValue?, patch: JSONValue?, ignore: [String], confirmDestructive: Bool,
                sessionRun: Int64?) -> Outcome {
        let plan: ReplayPlan
        do {
            plan = try pool.withReader { try ReplayPlan.forCall(callID, reader: $0) }
        } catch let error as ReplayError {
            if case .unknownCall = error { return Self.failure(404, error.description) }
            return Self.failure(422, error.description)
        } catch {
            return Self.failure(500, "\(error)")
        }
        let call = plan.calls[0]
        if let concern = call.safetyConcern(safeTools: settings.template.safeTools), !confirmDestructive {
            return Self.failure(409, "\(call.tool ?? "this tool") may change something when replayed: \(concern). "
                                     + "Confirm to replay (confirm_destructive: true).")
        }
        var combinedPatch = patch
        if let arguments {
            let recorded = call.method == "tools/call" ? (call.params["arguments"] ?? [:]) : call.params
            combinedPatch = ReplayEngine.mergePatch(from: recorded, to: arguments).map { edits in
                patch.map { ReplayEngine.mergePatch(edits, $0) } ?? edits
            } ?? patch
        }
        var warnings = plan.missingSecretVariables(environment: ProcessInfo.processInfo.environment).map {
            "the recorded server had \($0) in its environment and the dashboard's environment does not"
        }

        let result: ReplayResult
        let replayRun: Int64?
        var options = settings.template
        if let sessionRun {
            guard let session = monitor.locked({ sessions[sessionRun] }) else {
                return Self.failure(404, "no replay session \(sessionRun) (it was stopped or idle for too long)")
            }
            session.lock.locked { session.lastUsed = Clock.monotonicNanos() }
            let patch = combinedPatch
            guard let replayed = session.worker.run({ session.engine.replay(call, patch: patch, ignore: IgnoreRules(ignore)) }) else {
                return Self.failure(404, "replay session \(sessionRun) was stopped")
            }
            result = replayed
            replayRun = session.runID
        } else {
            options.serverName = plan.serverName
            options.redaction = options.redaction.including(environment: plan.launch.extraEnvironment)
            let engine = ReplayEngine(options: options, launch: plan.launch, handshake: plan.handshake, report: { _ in })
            result = engine.replay(call, patch: combinedPatch, ignore: IgnoreRules(ignore))
            replayRun = engine.recordedRunID(timeout: 2)
            engine.close()
        }
        if result.outcome == .failed && warnings.isEmpty == false {
            warnings.append("a missing variable may be why the replay failed")
        }
        guard case .object(var body) = result.json else { return Outcome(status: 200, body: result.json) }
        body["replay_run_id"] = replayRun.map { .number(String($0)) } ?? .null
        body["warnings"] = .array(warnings.map(JSONValue.string))
        return Outcome(status: 200, body: .object(body))
    }

    /// Starts a warm server: a named server from the config, or the one a recorded run used.
    func startSession(serverName: String?, fromRun: Int64?) -> Outcome {
        var plan: ReplayPlan
        do {
            if let fromRun {
                plan = try pool.withReader { try ReplayPlan.forRun(fromRun, reader: $0, calls: []) }
            } else if let serverName, let launch = settings.servers[serverName] {
                plan = ReplayPlan(serverName: serverName, launch: launch, recordedEnvNames: [],
                                  handshake: Handshake(stateless: false, protocolVersion: nil, initializeParams: nil, clientAnswers: [:]),
                                  calls: [], sourceRun: nil)
            } else if let serverName {
                let known = settings.servers.keys.sorted()
                return Self.failure(404, "no server named \(serverName) in the configuration"
                                         + (known.isEmpty ? "" : " (it has: \(known.joined(separator: ", ")))"))
            } else {
                return Self.failure(400, "give \"server\" (a name from the configuration) or \"from_run\" (a recorded run id)")
            }
        } catch {
            return Self.failure(422, "\(error)")
        }
        if let serverName, fromRun != nil, let launch = settings.servers[serverName] {
            plan.launch = launch  // a recorded run's handshake, with a configured server
            plan.serverName = serverName
        }
        var options = settings.template
        options.serverName = plan.serverName
        options.redaction = options.redaction.including(environment: plan.launch.extraEnvironment)
        let worker = SerialWorker(name: "replay-session")
        let launch = plan.launch, handshake = plan.handshake
        guard let (engine, failure, runID) = worker.run({ () -> (ReplayEngine, String?, Int64?) in
            let engine = ReplayEngine(options: options, launch: launch, handshake: handshake, report: { _ in })
            do {
                try engine.warmUp()
            } catch {
                engine.close()
                return (engine, "\(error)", nil)
            }
            return (engine, nil, engine.recordedRunID())
        }) else {
            return Self.failure(500, "the replay worker stopped")
        }
        if let failure {
            worker.stop()
            return Self.failure(502, failure)
        }
        guard let runID else {
            _ = worker.run { engine.close() }
            worker.stop()
            return Self.failure(500, "the replay run was not recorded (is the database writable?)")
        }
        monitor.locked { sessions[runID] = Session(engine: engine, worker: worker, runID: runID) }
        return Outcome(status: 201, body: ["run_id": .number(String(runID)), "server": .string(plan.serverName),
                                           "command": .string(plan.launch.display)])
    }

    /// Stops a session's server. Nil when the run is not a session of this dashboard.
    func stopSession(runID: Int64) -> Outcome? {
        guard let session = monitor.locked({ sessions.removeValue(forKey: runID) }) else { return nil }
        session.close()
        return Outcome(status: 200, body: ["run_id": .number(String(runID)), "stopped": true])
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
            Clock.sleep(seconds: 5)
            let now = Clock.monotonicNanos()
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

/// Runs closures one at a time on its own long-lived thread, and waits for each.
final class SerialWorker: @unchecked Sendable {
    private let monitor = Monitor()
    private var jobs: [() -> Void] = []
    private var stopped = false

    init(name: String) {
        OSThread(name: name) { [self] in loop() }
    }

    /// Runs `body` on the worker's thread and returns its value; nil once the worker is stopped.
    func run<T>(_ body: @escaping () -> T) -> T? {
        let done = Monitor()
        nonisolated(unsafe) var result: T?
        nonisolated(unsafe) var finished = false
        let accepted = monitor.locked { () -> Bool in
            guard !stopped else { return false }
            jobs.append {
                let value = body()
                done.locked {
                    result = value
                    finished = true
                    done.broadcast()
                }
            }
            monitor.broadcast()
            return true
        }
        guard accepted else { return nil }
        return done.locked {
            while !finished { done.wait(untilMonotonicNanos: nil) }
            return result
        }
    }

    func stop() {
        monitor.locked {
            stopped = true
            monitor.broadcast()
        }
    }

    private func loop() {
        while true {
            let job = monitor.locked { () -> (() -> Void)? in
                while jobs.isEmpty && !stopped { monitor.wait(untilMonotonicNanos: nil) }
                return jobs.isEmpty ? nil : jobs.removeFirst()
            }
            guard let job else { return }
            job()
        }
    }
}
