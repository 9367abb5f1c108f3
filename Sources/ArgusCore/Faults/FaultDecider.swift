/// Applies a plan's rules to the calls of one session, in the order the client sends them.
///
/// Reproducible: each rule draws from its own generator, seeded from the plan's seed and the
/// rule's position, once for every call it applies to (whether or not it fires), so the same
/// seed and the same calls give the same faults, and adding a rule does not change what the
/// others do. Single-threaded: one decider belongs to the relay thread that reads the client.
public final class FaultDecider {
    public let plan: FaultPlan
    public let seed: UInt64
    private var dice: [SplitMix64]
    /// Calls each rule applied to so far, and how many it injected.
    private var matched: [Int]
    private var injected: [Int]
    private let startNanos: UInt64

    public init(plan: FaultPlan, seed: UInt64, startMonotonicNanos: UInt64) {
        self.plan = plan
        self.seed = seed
        startNanos = startMonotonicNanos
        dice = plan.rules.indices.map { SplitMix64(seed: seed ^ (UInt64($0 + 1) &* 0x9E37_79B9_7F4A_7C15)) }
        matched = Array(repeating: 0, count: plan.rules.count)
        injected = Array(repeating: 0, count: plan.rules.count)
    }

    /// What the rules do to a call of `tool` arriving at `nowNanos` (monotonic). The first
    /// rule that fires with an answer kind gives the answer; every latency rule that fires
    /// adds its delay. `hasPreviousAnswer` says whether a `stale` fault has an answer to repeat
    /// (without one it does not fire and is not counted).
    public func decide(tool: String, atMonotonicNanos nowNanos: UInt64, hasPreviousAnswer: () -> Bool) -> FaultDecision? {
        var decision = FaultDecision()
        let elapsedMillis = Double(nowNanos &- startNanos) / 1e6
        for (index, rule) in plan.rules.enumerated() where Glob.matches(rule.tool, tool) {
            matched[index] += 1
            let roll = dice[index].nextUnit()
            guard fires(rule, call: matched[index], elapsedMillis: elapsedMillis, injected: injected[index], roll: roll) else {
                continue
            }
            if rule.kind == .latency {
                decision.delay(by: rule.millis, source: rule.name)
                injected[index] += 1
                continue
            }
            guard decision.kind == nil, rule.kind != .stale || hasPreviousAnswer() else { continue }
            decision.kind = rule.kind
            decision.code = rule.code
            decision.message = rule.message
            decision.sources.append(rule.name)
            injected[index] += 1
        }
        return decision.isEmpty ? nil : decision
    }

    private func fires(_ rule: FaultRule, call: Int, elapsedMillis: Double, injected: Int, roll: Double) -> Bool {
        if call <= rule.afterCalls { return false }
        if let every = rule.every, (call - rule.afterCalls) % every != 0 { return false }
        if let period = rule.periodMillis, let on = rule.onMillis,
            elapsedMillis.truncatingRemainder(dividingBy: period) >= on
        {
            return false
        }
        if let times = rule.times, injected >= times { return false }
        return roll < rule.probability
    }
}
