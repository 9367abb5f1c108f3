import ArgusCore
import ArgusSystem

/// Replays a plan's calls with one warm server and sums up.
public enum SuiteRunner {
    /// Runs every call of the plan. Calls of tools not annotated read-only (or
    /// annotated destructive) are skipped unless the options' `safeTools` name them or
    /// `allowDestructive`.
    public static func run(
        _ plan: ReplayPlan, options: ReplayEngine.Options, allowDestructive: Bool,
        report: @escaping @Sendable (String) -> Void,
        progress: (Int, Int, ReplayResult) -> Void = { _, _, _ in }
    ) -> SuiteReport {
        let start = SystemClock.monotonicNanos()
        let engine = ReplayEngine(options: options, launch: plan.launch, handshake: plan.handshake, report: report)
        defer { engine.close() }
        var results: [ReplayResult] = []
        for (i, call) in plan.calls.enumerated() {
            let result: ReplayResult
            if !allowDestructive, let concern = call.safetyConcern(safeTools: options.safeTools) {
                result = ReplayResult(
                    call: call, outcome: .skipped, actualIsError: false, changes: [],
                    failure: "may change something when replayed: \(concern)")
            } else {
                result = engine.replay(call)
            }
            results.append(result)
            progress(i + 1, plan.calls.count, result)
        }
        return SuiteReport(results: results, seconds: Double(SystemClock.monotonicNanos() - start) / 1e9)
    }
}
