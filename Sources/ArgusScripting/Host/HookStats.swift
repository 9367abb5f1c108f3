import ArgusCore

/// How often one hook of a script ran, how often it failed, and how long it took.
struct HookStats {
    var calls = 0
    var errors = 0
    var totalMillis = 0.0
    var maxMillis = 0.0

    mutating func add(_ outcome: HookOutcome) {
        calls += 1
        if outcome.status != .ok { errors += 1 }
        totalMillis += outcome.elapsedMillis
        maxMillis = max(maxMillis, outcome.elapsedMillis)
    }

    var json: JSONValue {
        [
            "calls": .int(calls), "errors": .int(errors), "total_ms": .double((totalMillis * 1000).rounded() / 1000),
            "mean_ms": .double(calls == 0 ? 0 : (totalMillis / Double(calls) * 1000).rounded() / 1000),
            "max_ms": .double((maxMillis * 1000).rounded() / 1000),
        ]
    }
}
