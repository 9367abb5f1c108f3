import ArgusCore

/// `argus test --update`: what the server answers now becomes the suite's expected result, for
/// the calls whose answer changed (the snapshot workflow), so a deliberate change is one command.
/// The suite file is edited in place: only those calls' `expected`, `is_error` and `latency_us`
/// change, everything else keeps its bytes' meaning and order. A call that failed (the server did
/// not answer) or was skipped keeps what it had: there is nothing to accept.
public enum SuiteUpdate {
    /// The suite with the changed answers accepted, and the results accepted. `report` must come
    /// from the suite's own plan: its results are its `calls`, in order.
    public static func accept(_ report: SuiteReport, into suite: JSONValue) -> (suite: JSONValue, accepted: [ReplayResult]) {
        guard case .object(var file) = suite, var calls = file["calls"]?.arrayValue else { return (suite, []) }
        var accepted: [ReplayResult] = []
        for (i, result) in report.results.enumerated() where result.outcome == .changed && i < calls.count {
            guard case .object(var call) = calls[i], let actual = result.actual else { continue }
            call["expected"] = actual
            call["is_error"] = .bool(result.actualIsError)
            call["latency_us"] = result.latencyMicros.map { .number(String($0)) } ?? .null
            // Said by the marker scan from now on: the new answer was redacted by the replay, not the recording.
            call["answer_redacted"] = nil
            calls[i] = .object(call)
            accepted.append(result)
        }
        file["calls"] = .array(calls)
        return (.object(file), accepted)
    }
}
