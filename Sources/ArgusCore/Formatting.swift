extension String {
    /// At most `limit` characters, cut at a word boundary and marked `…` when longer. Only a
    /// word longer than half the limit (a URL, a token) is cut inside.
    public func shortened(to limit: Int) -> String {
        guard count > limit else { return self }
        let head = prefix(Swift.max(limit - 1, 0))
        if let space = head.lastIndex(where: { $0 == " " || $0 == "\t" }), head.distance(from: head.startIndex, to: space) >= limit / 2 {
            var kept = head[..<space]
            while let last = kept.last, ",;:".contains(last) { kept = kept.dropLast() }
            return String(kept) + "…"
        }
        return String(head) + "…"
    }

    /// A number with one decimal (`2.5`), without Foundation's formatters.
    public init(oneDecimal value: Double) {
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        self = "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }
}

/// The version of argus, as `argus --version` prints it and user agents and suites carry it.
public let argusVersion = "0.1.0"

extension StringProtocol {
    /// Without the spaces and tabs at either end (header values, `key=value` lists).
    public var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
