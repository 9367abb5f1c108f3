import ArgusCore

/// An alert that fired (after de-duplication).
public struct FiredAlert: Sendable {
    public var script: String
    public var level: String
    public var message: String
    public var key: String
    public var server: String
    public var tool: String?
    public var method: String?
    public var timestamp: Int64
    public var location: String?

    public var json: JSONValue {
        var o: JSONObject = [
            "type": "argus.alert", "script": .string(script), "level": .string(level),
            "message": .string(message), "key": .string(key), "server": .string(server),
            "time": .string(TimeFormat.iso8601(micros: timestamp)),
        ]
        if let tool { o["tool"] = .string(tool) }
        if let method { o["method"] = .string(method) }
        if let location { o["location"] = .string(location) }
        return .object(o)
    }
}

/// De-duplicates alerts by key. An alert fires once the script has raised it
/// for `for_s` seconds (at once when 0); while it keeps being raised it stays
/// quiet; after `quietSeconds` without being raised it can fire again.
struct AlertTracker {
    struct State {
        var firstRaised: Int64
        var lastRaised: Int64
        var fired: Bool
        var suppressed: Int
    }

    var quietMicros: Int64 = 60_000_000
    private(set) var states: [String: State] = [:]

    /// Returns true when this raise fires the alert.
    mutating func raise(key: String, forSeconds: Double, at now: Int64) -> Bool {
        let pending = Int64(max(forSeconds, 0) * 1_000_000)
        if var state = states[key], now - state.lastRaised <= max(quietMicros, pending) {
            state.lastRaised = now
            if state.fired {
                state.suppressed += 1
                states[key] = state
                return false
            }
            if now - state.firstRaised >= pending {
                state.fired = true
                states[key] = state
                return true
            }
            states[key] = state
            return false
        }
        let fires = pending == 0
        states[key] = State(firstRaised: now, lastRaised: now, fired: fires, suppressed: 0)
        return fires
    }
}

/// Caps what one script may emit: log lines and bytes of outputs per minute, label
/// sets per metric. (Per hook call, the Lua runtime already caps records and bytes.)
struct OutputBudget {
    var logsPerMinute: Int
    var bytesPerMinute: Int
    var labelSetsPerMetric: Int
    private var windowStart: Int64 = 0
    private var logsInWindow = 0
    private var bytesInWindow = 0
    /// Not kept since the last `takeDropped`.
    private(set) var dropped = Dropped()
    private var labelSets: [String: Set<String>] = [:]
    private(set) var warnedMetrics: Set<String> = []

    struct Dropped: Equatable {
        /// Log lines over the lines per minute.
        var logLines = 0
        /// Records (of any kind) over the bytes per minute, and their bytes.
        var records = 0
        var bytes = 0
        var isEmpty: Bool { logLines == 0 && records == 0 }
    }

    init(logsPerMinute: Int, bytesPerMinute: Int, labelSetsPerMetric: Int) {
        self.logsPerMinute = logsPerMinute
        self.bytesPerMinute = bytesPerMinute
        self.labelSetsPerMetric = labelSetsPerMetric
    }

    /// Whether an output record (a log line when `isLog`) with `bytes` of text may be
    /// kept now; what is refused is counted for `takeDropped`.
    mutating func allow(bytes: Int, isLog: Bool, at now: Int64) -> Bool {
        if now - windowStart >= 60_000_000 {
            windowStart = now
            logsInWindow = 0
            bytesInWindow = 0
        }
        if isLog && logsInWindow >= logsPerMinute {
            dropped.logLines += 1
            return false
        }
        if bytesInWindow + bytes > bytesPerMinute {
            dropped.records += 1
            dropped.bytes += bytes
            return false
        }
        if isLog { logsInWindow += 1 }
        bytesInWindow += bytes
        return true
    }

    mutating func takeDropped() -> Dropped {
        defer { dropped = Dropped() }
        return dropped
    }

    /// Whether a sample with these labels may be kept. Returns `.firstRefusal`
    /// the first time a metric goes over its cap (to warn once).
    enum LabelDecision { case keep, refuse, firstRefusal }

    mutating func admit(metric: String, labels: String) -> LabelDecision {
        var sets = labelSets[metric, default: []]
        if sets.contains(labels) { return .keep }
        if sets.count >= labelSetsPerMetric {
            return warnedMetrics.insert(metric).inserted ? .firstRefusal : .refuse
        }
        sets.insert(labels)
        labelSets[metric] = sets
        return .keep
    }
}

/// Text from a script for the database, stderr or a webhook, cut to `limit` bytes at a
/// character boundary, saying how much was cut (as the Lua runtime does for its records).
func cappedText(_ text: String, limit: Int) -> String {
    let utf8 = text.utf8
    guard utf8.count > limit else { return text }
    var end = utf8.index(utf8.startIndex, offsetBy: max(limit, 0))
    for _ in 0..<3 where end > utf8.startIndex && utf8[end] & 0xC0 == 0x80 { end = utf8.index(before: end) }
    let kept = String(decoding: utf8[..<end], as: UTF8.self)
    return kept + " [... \(utf8.count - kept.utf8.count) bytes cut]"
}
