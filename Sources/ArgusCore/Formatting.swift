extension String {
    /// A number with one decimal (`2.5`), without Foundation's formatters.
    public init(oneDecimal value: Double) {
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        self = "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }
}

/// The version of argus, as `argus --version` prints it and user agents and suites carry it.
public let argusVersion = "0.1.0"
