import ArgusCore

/// Faults to inject into a wrapped session (`argus wrap --faults FILE`, the config's `faults`).
public struct FaultOptions: Sendable {
    public var plan: FaultPlan
    /// Where the plan came from, for the banner: `faults.json`, `the config's "faults" section`.
    public var origin: String
    /// Builds the scripts' `fault` hooks, on the thread that reads the client (nil: no scripts).
    public var makeHooks: (@Sendable () -> FaultHooks?)?

    public init(plan: FaultPlan, origin: String, makeHooks: (@Sendable () -> FaultHooks?)? = nil) {
        self.plan = plan
        self.origin = origin
        self.makeHooks = makeHooks
    }

    /// The seed the session uses: the plan's, or a new one (printed, so the run can be repeated).
    public func resolvedSeed() -> UInt64 { plan.seed ?? UInt64.random(in: 0...UInt64(Int64.max)) }

    /// The stderr banner: faults are never injected quietly.
    public func banner(seed: UInt64, into scope: String = "this session") -> String {
        var what: [String] = []
        if !plan.rules.isEmpty { what.append(plan.rules.count == 1 ? "1 rule" : "\(plan.rules.count) rules") }
        if !plan.scripts.isEmpty { what.append(plan.scripts.count == 1 ? "1 fault script" : "\(plan.scripts.count) fault scripts") }
        return "argus: CHAOS: injecting faults into \(scope) from \(origin) (\(what.joined(separator: ", ")), seed \(seed)"
            + (plan.seed == nil ? "; add \"seed\": \(seed) to repeat it" : "")
            + "). Injected answers are marked in the recording: argus calls, argus verdict, the dashboard."
    }
}
