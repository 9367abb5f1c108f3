/// How `argus mock` finds the recorded answer to a request.
public enum MatchRule: String, Sendable, CaseIterable {
    /// The method and the params, without the volatile `_meta` keys: the same request gets the same
    /// (first recorded) answer every time.
    case params
    /// As `params`, but identical requests get the recorded answers in the order they were recorded
    /// (the last one again once they are used up): a value that changed between two calls changes again.
    case sequence
    /// As `sequence`, and the requests must come in the recorded order: the first one out of order is a miss.
    case strict
}

/// How long `argus mock` takes to answer.
public enum LatencyMode: Sendable, Equatable, CustomStringConvertible {
    /// At once.
    case none
    /// After the recorded latency (and the server's own messages at their recorded times).
    case recorded
    /// After the recorded latency times this factor.
    case scaled(Double)

    /// `none`, `recorded`, or `xN` (`x2`, `x0.5`).
    public init?(_ text: String) {
        switch text {
        case "none": self = .none
        case "recorded": self = .recorded
        default:
            guard text.hasPrefix("x"), let factor = Double(text.dropFirst()), factor.isFinite, factor >= 0 else { return nil }
            self = .scaled(factor)
        }
    }

    var factor: Double {
        switch self {
        case .none: 0
        case .recorded: 1
        case .scaled(let factor): factor
        }
    }

    /// A recorded duration as this mode plays it, in µs.
    func scale(_ micros: Int64?) -> Int64 {
        guard let micros, micros > 0 else { return 0 }
        return Int64((Double(micros) * factor).rounded())
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .recorded: "recorded"
        case .scaled(let factor): "x\(factor)"
        }
    }
}
