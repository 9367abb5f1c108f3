import ArgusCore
import ArgusSystem
import Foundation

/// Runs calls given as JSON (fixtures, or `argus calls --json` output) through
/// scripts exactly as `argus wrap` would: the request and response lines go
/// through a real `SessionRecorder` with the scripts attached.
public final class FixtureRunner {
    public struct CallResult {
        public var input: JSONValue
        public var storedRequest: JSONValue?
        public var storedResponse: JSONValue?
        public var call: CallRecord?
        /// What was stored says so: the request's params are a script's drop stub.
        public var dropped: Bool {
            if case .dropped = storedRequest?["params"]?.stringValue.flatMap(RedactionMarker.init) { return true }
            return false
        }
        public var redactionFailed: Bool {
            storedRequest?["params"] == RedactionMarker.failed.json || storedResponse?["result"] == RedactionMarker.failed.json
        }
    }

    public struct Result {
        public var calls: [CallResult] = []
        public var outputs: [ScriptOutputRecord] = []
        public var lines: [String] = []
        public var statuses: [ScriptStatusRecord] = []
        /// What mutate_replay made of the last call's params (when asked).
        public var mutatedParams: JSONValue?
        public var mutationError: String?

        public var alerts: [ScriptOutputRecord] { outputs.filter { $0.kind == .alert } }
        public var metrics: [ScriptOutputRecord] { outputs.filter { $0.kind == .metric } }
        public var logs: [ScriptOutputRecord] { outputs.filter { $0.kind == .log } }
        public var errors: [ScriptOutputRecord] { outputs.filter { $0.kind == .error } }
    }

    public let specs: [ScriptSpec]
    public let limits: ScriptLimits

    public init(specs: [ScriptSpec], limits: ScriptLimits = ScriptLimits()) {
        self.specs = specs
        self.limits = limits
    }

    /// Runs the calls in order through one fresh set of script states.
    public func run(_ calls: [JSONValue], server defaultServer: String = "fixture", mutateLast: Bool = false) -> Result {
        var result = Result()
        var lines: [String] = []
        let server = calls.first?["server"]?.stringValue ?? defaultServer
        let host = ScriptHost(
            specs: specs, options: ScriptHost.Options(server: server, argusPID: getpid(), limits: limits),
            report: { lines.append($0) })
        var ops: [RecordOp] = []
        let recorder = SessionRecorder(
            config: RecorderConfig(
                serverName: server, launch: LaunchSpec(command: "fixture", args: [], cwd: "/", envNames: []),
                idleTimeoutSeconds: 1e9),
            hooks: host
        ) { ops.append($0) }
        var clock = Timestamp(monotonicNanos: 1_000_000_000, wallMicros: SystemClock.wallMicros())
        recorder.start(at: clock)
        var seqs: [(request: Int, response: Int?)] = []
        var frame = 0
        var lastStart = clock.wallMicros
        for (index, input) in calls.enumerated() {
            let (request, response, latency) = Self.lines(for: input, index: index)
            // A fixture may say when it was recorded (ISO 8601 or µs), as exported calls do.
            if let start = input["started_at_us"]?.intValue.map(Int64.init)
                ?? input["started_at"]?.stringValue.flatMap(TimeFormat.parseISO8601)
            {
                clock.wallMicros = start
            }
            lastStart = clock.wallMicros
            recorder.ingest(.clientToServer, Array((JSONWriter.string(request) + "\n").utf8), at: clock)
            frame += 1
            let requestSeq = frame
            clock.monotonicNanos += UInt64(latency * 1000)
            clock.wallMicros += latency
            var responseSeq: Int?
            if let response {
                recorder.ingest(.serverToClient, Array((JSONWriter.string(response) + "\n").utf8), at: clock)
                frame += 1
                responseSeq = frame
            }
            seqs.append((requestSeq, responseSeq))
            clock.monotonicNanos += 1_000_000
            clock.wallMicros += 1000
        }
        if mutateLast, let last = calls.last {
            let (request, _, _) = Self.lines(for: last, index: calls.count - 1)
            let hookCall = HookCall(
                phase: .request, run: 1, server: server, direction: .clientToServer,
                method: request["method"]?.stringValue ?? MCP.Method.toolsCall,
                tool: request["params"]?["name"]?.stringValue, startedAt: lastStart,
                requestBody: JSONWriter.string(request))
            do {
                result.mutatedParams = try host.mutateReplay(request["params"] ?? [:], call: hookCall) { ops.append($0) }
            } catch {
                result.mutationError = error.description
            }
        }
        recorder.finish(reason: .clientEOF, exitStatus: 0, at: clock)

        var bodies: [Int: JSONValue] = [:]
        var records: [Int: CallRecord] = [:]
        for op in ops {
            switch op {
            case .message(_, let m): bodies[m.seq] = try? JSONParser.parse(m.body)
            case .rewriteMessage(_, let seq, let body): bodies[seq] = try? JSONParser.parse(body)
            case .call(_, let c, _): records[c.requestSeq] = c
            case .scriptOutput(_, let o): result.outputs.append(o)
            case .scriptStatus(let s): result.statuses.append(s)
            default: break
            }
        }
        for (index, input) in calls.enumerated() {
            let (requestSeq, responseSeq) = seqs[index]
            result.calls.append(
                CallResult(
                    input: input, storedRequest: bodies[requestSeq],
                    storedResponse: responseSeq.flatMap { bodies[$0] }, call: records[requestSeq]))
        }
        result.lines = lines
        return result
    }

    /// The JSON-RPC request and response lines for a fixture call, and its latency in µs.
    public static func lines(for call: JSONValue, index: Int) -> (JSONValue, JSONValue?, Int64) {
        let id = call["request_id"] ?? call["jsonrpc_id"] ?? .int(index + 1)
        let method = call["method"]?.stringValue ?? MCP.Method.toolsCall
        var params = call["params"] ?? [:]
        if method == MCP.Method.toolsCall, let tool = call["tool"]?.stringValue, case .object(var p) = params, p["name"] == nil {
            p.members.insert(JSONMember("name", .string(tool)), at: 0)  // first, as clients send it
            params = .object(p)
        }
        let request: JSONValue = ["jsonrpc": "2.0", "id": id, "method": .string(method), "params": params]
        var response: JSONValue?
        if let error = call["error"], !error.isNull, let code = error["code"], !code.isNull {
            response = ["jsonrpc": "2.0", "id": id, "error": error]
        } else if let result = call["result"], !result.isNull {
            response = ["jsonrpc": "2.0", "id": id, "result": result]
        } else if call["no_response"]?.boolValue != true {
            response = ["jsonrpc": "2.0", "id": id, "result": ["content": []]]
        }
        let latency =
            call["latency_us"]?.intValue.map(Int64.init)
            ?? call["latency_ms"]?.doubleValue.map { Int64($0 * 1000) } ?? 1000
        return (request, response, latency)
    }
}

/// A `.test.json` file: cases of calls run through one script, with expectations.
public struct ScriptTestFile {
    public struct Case {
        public var name: String
        public var calls: [JSONValue]
        public var expect: JSONObject
    }

    public var path: String
    public var script: String
    public var config: JSONValue
    public var server: String
    public var cases: [Case]

    public static func load(_ path: String) throws -> ScriptTestFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw ScriptLoadError("cannot read \(path)") }
        let root: JSONValue
        do {
            root = try JSONParser.parse(String(decoding: data, as: UTF8.self))
        } catch {
            throw ScriptLoadError("\(path): not valid JSON: \(error)")
        }
        guard let script = root["script"]?.stringValue else { throw ScriptLoadError("\(path): \"script\" (the .lua file) is required") }
        let directory = (path as NSString).deletingLastPathComponent
        let scriptPath = script.hasPrefix("/") ? script : (directory.isEmpty ? script : directory + "/" + script)
        guard let items = root["cases"]?.arrayValue, !items.isEmpty else {
            throw ScriptLoadError("\(path): \"cases\" must list at least one case")
        }
        var cases: [Case] = []
        for (i, item) in items.enumerated() {
            let calls = item["calls"]?.arrayValue ?? item["call"].map { [$0] } ?? []
            guard !calls.isEmpty else { throw ScriptLoadError("\(path): cases[\(i)] needs \"call\" or \"calls\"") }
            cases.append(
                Case(
                    name: item["name"]?.stringValue ?? "case \(i + 1)", calls: calls,
                    expect: item["expect"]?.objectValue ?? [:]))
        }
        return ScriptTestFile(
            path: path, script: scriptPath, config: root["config"] ?? [:],
            server: root["server"]?.stringValue ?? "fixture", cases: cases)
    }

    /// Runs every case; returns the failures of each (empty when it passed).
    public func run(limits: ScriptLimits = ScriptLimits()) -> [(name: String, failures: [String])] {
        let runner = FixtureRunner(specs: [ScriptSpec(path: script, config: config)], limits: limits)
        return cases.map { testCase in
            let wantsMutation = testCase.expect["mutated_params"] != nil || testCase.expect["mutation_fails"] != nil
            let result = runner.run(testCase.calls, server: server, mutateLast: wantsMutation)
            return (testCase.name, Self.check(testCase.expect, against: result))
        }
    }

    static func check(_ expect: JSONObject, against result: FixtureRunner.Result) -> [String] {
        var failures: [String] = []
        let last = result.calls.last
        let stored = result.calls.flatMap { [$0.storedRequest, $0.storedResponse].compactMap { $0 }.map { JSONWriter.string($0) } }
        for member in expect.members {
            let want = Templates.expand(member.value)
            switch member.key {
            case "stored_params":
                let got = last?.storedRequest?["params"] ?? .null
                if !got.sameValue(as: want) { failures.append("stored_params: expected \(want), got \(got)") }
            case "stored_result":
                let got = last?.storedResponse?["result"] ?? .null
                if !got.sameValue(as: want) { failures.append("stored_result: expected \(want), got \(got)") }
            case "stored":
                for text in want.arrayValue?.compactMap(\.stringValue) ?? [] where !stored.contains(where: { $0.contains(text) }) {
                    failures.append("stored: no stored body contains \"\(text)\"")
                }
            case "not_stored":
                for text in want.arrayValue?.compactMap(\.stringValue) ?? [] where stored.contains(where: { $0.contains(text) }) {
                    failures.append("not_stored: \"\(text)\" was stored")
                }
            case "dropped":
                if (last?.dropped ?? false) != (want.boolValue ?? true) { failures.append("dropped: expected \(want)") }
            case "redaction_failed":
                if (last?.redactionFailed ?? false) != (want.boolValue ?? true) { failures.append("redaction_failed: expected \(want)") }
            case "alerts":
                failures += checkOutputs("alerts", result.alerts, want) { record, matcher in
                    (matcher["level"]?.stringValue.map { $0 == record.level } ?? true)
                        && (matcher["message"]?.stringValue.map { record.message?.contains($0) == true } ?? true)
                        && (matcher["key"]?.stringValue.map { $0 == record.key } ?? true)
                }
            case "metrics":
                failures += checkOutputs("metrics", result.metrics, want) { record, matcher in
                    (matcher["name"]?.stringValue.map { $0 == record.name } ?? true)
                        && (matcher["kind"]?.stringValue.map { $0 == record.metricKind } ?? true)
                        && (matcher["value"]?.doubleValue.map { abs($0 - (record.value ?? .nan)) < 1e-9 } ?? true)
                        && (matcher["labels"].map { labels in
                            (try? JSONParser.parse(record.labels ?? "{}")).map {
                                $0.sameValue(
                                    as: .object(
                                        JSONObject(
                                            labels.objectValue?.members.map {
                                                JSONMember($0.key, .string($0.value.stringValue ?? JSONWriter.string($0.value)))
                                            } ?? [])))
                            } ?? false
                        } ?? true)
                }
            case "logs":
                for text in want.arrayValue?.compactMap(\.stringValue) ?? []
                where !result.logs.contains(where: { $0.message?.contains(text) == true }) {
                    failures.append("logs: no log line contains \"\(text)\"")
                }
            case "errors":
                if let count = want.intValue, result.errors.count != count {
                    failures.append(
                        "errors: expected \(count), got \(result.errors.count)"
                            + (result.errors.first.map { " (\($0.message ?? ""))" } ?? ""))
                }
            case "mutated_params":
                if let error = result.mutationError {
                    failures.append("mutated_params: \(error)")
                } else if !(result.mutatedParams ?? .null).sameValue(as: want) {
                    failures.append("mutated_params: expected \(want), got \(result.mutatedParams ?? .null)")
                }
            case "mutation_fails":
                if (result.mutationError != nil) != (want.boolValue ?? true) { failures.append("mutation_fails: expected \(want)") }
            default:
                failures.append("unknown expectation \"\(member.key)\"")
            }
        }
        for status in result.statuses where status.state != "active" {
            failures.append("the script is \(status.state): \(status.lastError ?? "")")
        }
        // Unexpected script errors fail a case unless it says how many to expect.
        if expect["errors"] == nil, let error = result.errors.first {
            failures.append("the script failed: \(error.name ?? "?"): \(error.message ?? "")")
        }
        return failures
    }

    static func checkOutputs(
        _ label: String, _ records: [ScriptOutputRecord], _ want: JSONValue,
        matches: (ScriptOutputRecord, JSONValue) -> Bool
    ) -> [String] {
        if let count = want.intValue {
            return records.count == count ? [] : ["\(label): expected \(count), got \(records.count)"]
        }
        var failures: [String] = []
        for matcher in want.arrayValue ?? [] where !records.contains(where: { matches($0, matcher) }) {
            failures.append("\(label): nothing matches \(matcher) (got \(records.count))")
        }
        return failures
    }
}

/// `{{today}}`, `{{today+N}}`, `{{today-N}}` in expected values: dates (UTC) relative to now.
enum Templates {
    static func expand(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text) where text.contains("{{today"):
            var result = text
            while let start = result.firstRange(of: "{{today"), let end = result[start.upperBound...].firstRange(of: "}}") {
                let offset = Int(result[start.upperBound..<end.lowerBound].replacing("+", with: "")) ?? 0
                let day = TimeFormat.iso8601(micros: SystemClock.wallMicros() + Int64(offset) * 86_400_000_000).prefix(10)
                result.replaceSubrange(start.lowerBound..<end.upperBound, with: day)
            }
            return .string(result)
        case .array(let items): return .array(items.map(expand))
        case .object(let object): return .object(JSONObject(object.members.map { JSONMember($0.key, expand($0.value)) }))
        default: return value
        }
    }
}
