import ArgusCore
import CArgusLua

#if canImport(Glibc)
import Glibc
#endif

/// Limits for each script's Lua state. Every hook call gets the instruction and
/// time budgets afresh; memory is for the state as a whole.
public struct ScriptLimits: Sendable, Equatable {
    public var memoryBytes: Int = 16 << 20
    public var instructions: Int = 2_000_000
    public var timeMillis: Double = 100
    /// Steps a single string.find/match/gmatch/gsub may take, plus 20 per byte of subject.
    public var patternSteps: Int = 1_000_000
    /// log/metric/alert records kept per hook call.
    public var outputsPerCall: Int = 100
    /// Bytes of text (messages, metric names and labels, alert keys) in those records per hook call.
    public var outputBytesPerCall: Int = 64 << 10
    /// Bytes of one message, name, label or error; longer ones are cut, saying how much.
    public var textBytes: Int = 4 << 10
    /// Bytes of outputs and errors kept per script per minute; the rest are counted.
    public var outputBytesPerMinute: Int = 1 << 20
    /// A script with this many errors within `errorWindowSeconds` is switched off.
    public var maxErrors: Int = 20
    public var errorWindowSeconds: Double = 60
    /// log lines kept per script per minute; the rest are counted.
    public var logsPerMinute: Int = 100
    /// distinct label sets kept per metric name.
    public var labelSetsPerMetric: Int = 100

    public init() {}

    var c: argus_lua_limits {
        argus_lua_limits(
            memory_limit: memoryBytes, instruction_limit: Int64(instructions), time_limit_ms: timeMillis,
            pattern_step_limit: Int64(patternSteps), max_outputs: Int32(clamping: outputsPerCall),
            max_output_bytes: max(outputBytesPerCall, 1), max_text_bytes: max(textBytes, 1))
    }
}

/// What a hook call came to.
public struct HookOutcome: Sendable {
    public enum Status: Sendable, Equatable {
        case ok
        case error
        /// Instruction, time, memory or pattern limit.
        case limit
        /// The script does not define this hook.
        case missing
    }

    public var status: Status
    public var dropped = false
    /// The returned value; nil for nil (and for JSON null).
    public var value: JSONValue?
    /// Records from argus.log / argus.metric.* / argus.alert.
    public var outputs: [JSONValue] = []
    public var error: String?
    public var elapsedMillis: Double = 0
    public var instructions: Int = 0

    /// `file.lua:12` from the error, when it names one.
    public var errorLocation: String? { error.flatMap(ScriptErrors.location) }
}

enum ScriptErrors {
    /// The first `name.lua:NN` in a message.
    static func location(_ message: String) -> String? {
        guard let range = message.firstRange(of: ".lua:") else { return nil }
        let before = message[..<range.lowerBound]
        let nameStart =
            before.lastIndex { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "/" || $0 == "\"" }
            .map { message.index(after: $0) } ?? message.startIndex
        let digits = message[range.upperBound...].prefix { $0.isNumber }
        guard !digits.isEmpty else { return nil }
        return String(message[nameStart..<range.upperBound]) + digits
    }

    /// The message without the traceback lines.
    static func firstLine(_ message: String) -> String {
        String(message.split(separator: "\n", maxSplits: 1).first ?? "")
    }
}

/// One sandboxed Lua state running one user script. Not thread-safe: each
/// state has one owner (the recorder thread, or the CLI).
public final class LuaScript {
    private let state: OpaquePointer
    public let limits: ScriptLimits

    /// The Lua release scripts run on, e.g. "Lua 5.4.4".
    public static var release: String { String(cString: argus_lua_release()) }

    public init?(limits: ScriptLimits = ScriptLimits()) {
        var c = limits.c
        guard let state = argus_lua_open(&c) else { return nil }
        self.state = state
        self.limits = limits
    }

    deinit { argus_lua_close(state) }

    public var memoryUsed: Int { argus_lua_memory_used(state) }

    /// Runs the script's top level. The value is {"script": SCRIPT, "hooks": [...]}.
    public func load(source: String, name: String) -> HookOutcome {
        var result = argus_lua_result()
        var copy = source
        copy.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                _ = argus_lua_load(state, chars.baseAddress, chars.count, name, &result)
            }
        }
        return Self.outcome(&result)
    }

    public func initialize(config: JSONValue) -> HookOutcome {
        var result = argus_lua_result()
        _ = argus_lua_init(state, JSONWriter.string(config), &result)
        return Self.outcome(&result)
    }

    /// Calls `hook(call, ctx)`, or `hook(first, call, ctx)` when `first` is given. The bodies are
    /// decoded in Lua only if the script reads `call.params`, `call.result` or `call.error`.
    func call(
        _ hook: String, first: JSONValue? = nil, record: LuaRecord, requestBody: String?, responseBody: String?,
        context: LuaRecord
    ) -> HookOutcome {
        var result = argus_lua_result()
        let firstText = first.map { JSONWriter.string($0) }
        record.bytes.withUnsafeBufferPointer { callBytes in
            context.bytes.withUnsafeBufferPointer { contextBytes in
                withOptionalUTF8(requestBody) { request, requestLength in
                    withOptionalUTF8(responseBody) { response, responseLength in
                        withOptionalCString(firstText) { firstPointer in
                            _ = argus_lua_call(
                                state, hook, firstPointer,
                                argus_lua_record(bytes: callBytes.baseAddress, length: callBytes.count),
                                request, requestLength, response, responseLength,
                                argus_lua_record(bytes: contextBytes.baseAddress, length: contextBytes.count),
                                &result)
                        }
                    }
                }
            }
        }
        return Self.outcome(&result)
    }

    /// Evaluates a chunk and returns its value (tests, diagnostics).
    public func eval(_ source: String) -> HookOutcome {
        var result = argus_lua_result()
        _ = argus_lua_eval(state, source, &result)
        return Self.outcome(&result)
    }

    private static func outcome(_ result: inout argus_lua_result) -> HookOutcome {
        defer { argus_lua_result_free(&result) }
        let status: HookOutcome.Status
        switch Int(result.status) {
        case ARGUS_LUA_OK: status = .ok
        case ARGUS_LUA_LIMIT: status = .limit
        case ARGUS_LUA_MISSING: status = .missing
        default: status = .error
        }
        var outcome = HookOutcome(status: status)
        outcome.dropped = result.dropped != 0
        if let value = result.value {
            let parsed = try? JSONParser.parse(UnsafeRawBufferPointer(start: value, count: strlen(value)))
            outcome.value = parsed?.isNull == true ? nil : parsed
        }
        if let outputs = result.outputs,
            let parsed = try? JSONParser.parse(UnsafeRawBufferPointer(start: outputs, count: strlen(outputs)))
        {
            outcome.outputs = parsed.arrayValue ?? []
        }
        outcome.error = result.error.map { String(cString: $0) }
        outcome.elapsedMillis = result.elapsed_ms
        outcome.instructions = Int(result.instructions)
        return outcome
    }
}

private func withOptionalUTF8<R>(_ text: String?, _ body: (UnsafePointer<CChar>?, Int) -> R) -> R {
    guard var text else { return body(nil, 0) }
    return text.withUTF8 { bytes in
        bytes.withMemoryRebound(to: CChar.self) { body($0.baseAddress, $0.count) }
    }
}

private func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}
