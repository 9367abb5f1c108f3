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
        var o: JSONObject = ["type": "argus.alert", "script": .string(script), "level": .string(level),
                             "message": .string(message), "key": .string(key), "server": .string(server),
                             "time": .string(TimeFormat.iso8601(micros: timestamp))]
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

/// Caps what one script may emit: log lines per minute, label sets per metric.
struct OutputBudget {
    var logsPerMinute: Int
    var labelSetsPerMetric: Int
    private var windowStart: Int64 = 0
    private var logsInWindow = 0
    private(set) var logsDropped = 0
    private var labelSets: [String: Set<String>] = [:]
    private(set) var warnedMetrics: Set<String> = []

    init(logsPerMinute: Int, labelSetsPerMetric: Int) {
        self.logsPerMinute = logsPerMinute
        self.labelSetsPerMetric = labelSetsPerMetric
    }

    /// Whether a log line may be kept now; when a window closes with drops,
    /// `flushDrops` reports how many.
    mutating func allowLog(at now: Int64) -> Bool {
        if now - windowStart >= 60_000_000 {
            windowStart = now
            logsInWindow = 0
        }
        logsInWindow += 1
        if logsInWindow > logsPerMinute {
            logsDropped += 1
            return false
        }
        return true
    }

    mutating func takeDroppedLogs() -> Int {
        defer { logsDropped = 0 }
        return logsDropped
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
