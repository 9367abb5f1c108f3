/// Reads the tool calls of a run, in order, and says what the agent did after each failure
/// (injected or real) and each empty result, and where it repeated itself.
///
/// A failure and the attempts that follow it on the same tool form one episode, reported once:
/// `retried` (how often, how fast, whether it recovered, and `blind_write_retry` when a tool
/// that may write was repeated unchecked), or, with no further attempt, `gave_up` (no call at
/// all) or `went_on` (other tools, as if the call had succeeded). Separately, identical calls
/// (same tool, same arguments) are counted: many within a short window are a `runaway_loop`,
/// several successful ones `repeated_calls`.
public enum VerdictAnalyzer {
    /// - Parameter calls: a run's tool calls in the order the client sent them.
    public static func verdicts(for calls: [VerdictCall], thresholds: VerdictThresholds = VerdictThresholds()) -> [Verdict] {
        var found: [(index: Int, verdict: Verdict)] = []
        var inEpisode = Set<Int>()
        for (index, call) in calls.enumerated() {
            if call.outcome.isFailure, !inEpisode.contains(index) {
                let episode = afterFailure(at: index, in: calls, thresholds: thresholds)
                inEpisode.formUnion(episode.attempts)
                found += episode.verdicts.map { (index, $0) }
            }
            if call.outcome == .empty {
                found.append((index, afterEmpty(at: index, in: calls, thresholds: thresholds)))
            }
        }
        found += repetitions(in: calls, thresholds: thresholds)
        return found.sorted { $0.index < $1.index }.map(\.verdict)
    }

    // MARK: failures

    private static func afterFailure(at index: Int, in calls: [VerdictCall], thresholds: VerdictThresholds)
        -> (attempts: [Int], verdicts: [Verdict])
    {
        let failed = calls[index]
        var attempts: [Int] = []
        for j in calls.indices.dropFirst(index + 1) where calls[j].tool == failed.tool {
            attempts.append(j)
            if !calls[j].outcome.isFailure { break }
        }
        let what = "\(failed.tool) \(describe(failed))"
        guard let first = attempts.first else {
            let later = calls[(index + 1)...]
            if later.isEmpty {
                return (
                    [],
                    [
                        Verdict(
                            kind: VerdictKind.gaveUp.rawValue, level: thresholds.level(of: .gaveUp),
                            message: "After \(what), the agent made no further calls.",
                            callID: failed.id, tool: failed.tool, fault: failed.fault)
                    ]
                )
            }
            return (
                [],
                [
                    Verdict(
                        kind: VerdictKind.wentOn.rawValue, level: thresholds.level(of: .wentOn),
                        message: "After \(what), the agent went on with \(tally(later)) and never called "
                            + "\(failed.tool) again, as if it had succeeded.",
                        callID: failed.id, tool: failed.tool, fault: failed.fault,
                        facts: ["calls_after": .int(later.count)])
                ]
            )
        }

        let failedEnd = failed.endedAt.map { min($0, calls[first].startedAt) } ?? failed.startedAt
        let firstDelayMillis = Double(max(0, calls[first].startedAt - failedEnd)) / 1000
        let span = Double(max(0, calls[attempts.last ?? first].startedAt - failed.startedAt)) / 1000
        let meanIntervalMillis = span / Double(attempts.count)
        let recovered = !(calls[attempts.last ?? first].outcome.isFailure)
        let sameArguments = calls[first].argumentsKey == failed.argumentsKey
        var level = thresholds.level(of: .retried)
        var concerns: [String] = []
        if firstDelayMillis < thresholds.fastRetryMillis {
            concerns.append("no backoff: under \(number(thresholds.fastRetryMillis)) ms")
        }
        if attempts.count > thresholds.maxRetries { concerns.append("more than \(thresholds.maxRetries) retries") }
        if !concerns.isEmpty { level = max(level, .warning) }
        let times = attempts.count == 1 ? "once" : "\(attempts.count) times"
        var message =
            "After \(what), the agent retried \(times)"
            + (sameArguments ? "" : " (with other arguments)")
            + ", the first after \(number(firstDelayMillis)) ms"
            + (attempts.count > 1 ? ", every \(number(meanIntervalMillis)) ms on average" : "")
            + (recovered ? "; the last attempt succeeded." : "; every attempt failed.")
        if !concerns.isEmpty { message += " (" + concerns.joined(separator: "; ") + ")" }
        var verdicts = [
            Verdict(
                kind: VerdictKind.retried.rawValue, level: level, message: message, callID: failed.id,
                tool: failed.tool, fault: failed.fault,
                facts: [
                    "retries": .int(attempts.count), "first_retry_ms": .double(firstDelayMillis),
                    "mean_interval_ms": .double(meanIntervalMillis), "recovered": .bool(recovered),
                    "same_arguments": .bool(sameArguments),
                ])
        ]

        let checked = calls[(index + 1)..<first].contains { $0.readOnly == true }
        if failed.readOnly != true, sameArguments, !checked {
            verdicts.append(
                Verdict(
                    kind: VerdictKind.blindWriteRetry.rawValue, level: thresholds.level(of: .blindWriteRetry),
                    message: "\(failed.tool) is not annotated read-only, and the agent called it again with the same arguments "
                        + "\(number(firstDelayMillis)) ms after it \(failed.outcome == .noAnswer ? "went unanswered" : "failed"), "
                        + "without a read-only call in between to check whether the first attempt took effect.",
                    callID: failed.id, tool: failed.tool, fault: failed.fault,
                    facts: ["retry_call_id": .number(String(calls[first].id)), "first_retry_ms": .double(firstDelayMillis)]))
        }
        return (attempts, verdicts)
    }

    // MARK: empty results

    private static func afterEmpty(at index: Int, in calls: [VerdictCall], thresholds: VerdictThresholds) -> Verdict {
        let empty = calls[index]
        let later = calls[(index + 1)...]
        let same = later.filter { $0.tool == empty.tool && $0.argumentsKey == empty.argumentsKey }.count
        let reworded = later.filter { $0.tool == empty.tool && $0.argumentsKey != empty.argumentsKey }.count
        let what = "\(empty.tool) answered nothing" + (empty.fault.map { " (injected: \($0))" } ?? "")
        let message: String
        if later.isEmpty {
            message = "\(what); the agent made no further calls."
        } else {
            var parts: [String] = []
            if same > 0 { parts.append("asked again the same way \(count(same, "time"))") }
            if reworded > 0 { parts.append("asked again with other arguments \(count(reworded, "time"))") }
            message =
                "\(what); the agent then made \(count(later.count, "call")): \(tally(later))"
                + (parts.isEmpty ? ", never asking \(empty.tool) again." : " (\(parts.joined(separator: ", "))).")
        }
        return Verdict(
            kind: VerdictKind.afterEmpty.rawValue, level: thresholds.level(of: .afterEmpty), message: message,
            callID: empty.id, tool: empty.tool, fault: empty.fault,
            facts: ["calls_after": .int(later.count), "same_call_again": .int(same), "other_arguments": .int(reworded)])
    }

    // MARK: repetitions

    private static func repetitions(in calls: [VerdictCall], thresholds: VerdictThresholds) -> [(index: Int, verdict: Verdict)] {
        var groups: [String: [Int]] = [:]
        var order: [String] = []
        for (index, call) in calls.enumerated() {
            let key = call.tool + "\u{0}" + call.argumentsKey
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(index)
        }
        var found: [(index: Int, verdict: Verdict)] = []
        let window = Int64(thresholds.loopWindowSeconds * 1_000_000)
        for key in order {
            guard let indices = groups[key], let first = indices.first else { continue }
            let call = calls[first]
            // The most identical calls that fall within one window.
            var best = (count: 0, start: 0, end: 0)
            var lower = 0
            for upper in indices.indices {
                while calls[indices[upper]].startedAt - calls[indices[lower]].startedAt > window { lower += 1 }
                if upper - lower + 1 > best.count { best = (upper - lower + 1, lower, upper) }
            }
            if best.count >= thresholds.loopCalls {
                let seconds = Double(calls[indices[best.end]].startedAt - calls[indices[best.start]].startedAt) / 1e6
                found.append(
                    (
                        indices[best.start],
                        Verdict(
                            kind: VerdictKind.runawayLoop.rawValue, level: thresholds.level(of: .runawayLoop),
                            message: "\(call.tool) was called \(best.count) times with the same arguments within "
                                + "\(number(seconds, digits: 2)) s (the limit is \(thresholds.loopCalls) in "
                                + "\(number(thresholds.loopWindowSeconds)) s): a runaway loop.",
                            callID: calls[indices[best.start]].id, tool: call.tool,
                            facts: ["calls": .int(best.count), "seconds": .double(seconds), "total": .int(indices.count)])
                    ))
                continue
            }
            let answered = indices.filter { !calls[$0].outcome.isFailure }
            if answered.count >= thresholds.repeatCalls {
                found.append(
                    (
                        answered[0],
                        Verdict(
                            kind: VerdictKind.repeatedCalls.rawValue, level: thresholds.level(of: .repeatedCalls),
                            message: "\(call.tool) was called \(answered.count) times with the same arguments and answered each "
                                + "time: a missing cache, or a stuck loop?",
                            callID: calls[answered[0]].id, tool: call.tool, facts: ["calls": .int(answered.count)])
                    ))
            }
        }
        return found
    }

    // MARK: words

    private static func describe(_ call: VerdictCall) -> String {
        let how: String
        switch call.outcome {
        case .noAnswer: how = "went unanswered"
        case .empty: how = "answered nothing"
        default: how = "failed"
        }
        return how + (call.fault.map { " (injected: \($0))" } ?? "")
    }

    /// `fetch ×2, summarize` in order of first appearance.
    private static func tally(_ calls: ArraySlice<VerdictCall>) -> String {
        var counts: [String: Int] = [:]
        var order: [String] = []
        for call in calls {
            if counts[call.tool] == nil { order.append(call.tool) }
            counts[call.tool, default: 0] += 1
        }
        return order.map { counts[$0, default: 1] > 1 ? "\($0) ×\(counts[$0, default: 1])" : $0 }.joined(separator: ", ")
    }

    private static func count(_ n: Int, _ noun: String) -> String { n == 1 ? "1 \(noun)" : "\(n) \(noun)s" }

    private static func number(_ value: Double, digits: Int = 0) -> String {
        if digits == 0 || value == value.rounded() { return String(Int64(value.rounded())) }
        var text = String(Int64((value * 100).rounded()))
        while text.count < 3 { text = "0" + text }
        return String(text.dropLast(2)) + "." + String(text.suffix(2))
    }
}
