/// One value searched for on its own, in time linear in the text (Knuth–Morris–
/// Pratt): the values a session learnt since the automaton (`NeedleMatcher`) was
/// last rebuilt. Building an automaton for every value learnt costs more than a
/// few direct searches, so new values wait here until there are enough to
/// rebuild it once. Overlapping occurrences (`abab` in `ababab`) are all found.
struct KnownValue: Sendable {
    let bytes: [UInt8]
    /// For each prefix, the length of its longest proper border (prefix that is also a suffix).
    private let border: [Int32]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var border = [Int32](repeating: 0, count: bytes.count)
        var k = 0
        for i in 1..<max(bytes.count, 1) {
            while k > 0 && bytes[i] != bytes[k] { k = Int(border[k - 1]) }
            if bytes[i] == bytes[k] { k += 1 }
            border[i] = Int32(k)
        }
        self.border = border
    }

    /// Whether the value occurs in `s`.
    func occurs(in s: UnsafeBufferPointer<UInt8>) -> Bool {
        var found = false
        scan(s) { _ in
            found = true
            return false
        }
        return found
    }

    /// The ranges covered by occurrences of the value (overlapping ones joined), in order.
    func ranges(in s: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var found: [Range<Int>] = []
        scan(s) { occurrence in
            if let last = found.last, last.upperBound >= occurrence.lowerBound {
                found[found.count - 1] = last.lowerBound..<occurrence.upperBound
            } else {
                found.append(occurrence)
            }
            return true
        }
        return found
    }

    /// Calls `body` with each occurrence, left to right, while it returns true.
    private func scan(_ s: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Bool) {
        let m = bytes.count, n = s.count
        guard m > 0, m <= n else { return }
        let first = bytes[0]
        var k = 0
        var i = 0
        while i < n {
            if k == 0 {
                // Nothing matched yet: skip to the next byte that can start a match.
                while i < n && s[i] != first { i += 1 }
                if i == n { return }
            }
            let b = s[i]
            while k > 0 && b != bytes[k] { k = Int(border[k - 1]) }
            if b == bytes[k] { k += 1 }
            i += 1
            if k == m {
                if !body((i - m)..<i) { return }
                k = Int(border[m - 1])
            }
        }
    }
}

/// The values learnt since the automaton was last rebuilt, with a filter that
/// rules out most strings in one cheap pass: the first two bytes of every value,
/// hashed into a 4096-bit set. A string with none of those pairs holds none of the values.
final class RecentValues: Sendable {
    let values: [KnownValue]
    private let pairs: [UInt64]

    static let empty = RecentValues([])

    init(_ values: [KnownValue]) {
        self.values = values
        var pairs = [UInt64](repeating: 0, count: values.isEmpty ? 0 : 64)
        for value in values where value.bytes.count >= 2 {
            let slot = Self.slot(value.bytes[0], value.bytes[1])
            pairs[slot >> 6] |= 1 << UInt64(slot & 63)
        }
        self.pairs = pairs
    }

    @inline(__always) static func slot(_ a: UInt8, _ b: UInt8) -> Int { (Int(a) << 4 ^ Int(b)) & 0xFFF }

    /// Appends values to a copy (the values already searched keep their tables).
    func adding(_ more: [[UInt8]]) -> RecentValues { RecentValues(values + more.map(KnownValue.init)) }

    /// Every range covered by one of the values, unordered.
    func ranges(in s: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        guard !values.isEmpty, s.count >= 2 else { return }
        var candidate = false
        pairs.withUnsafeBufferPointer { pairs in
            for i in 1..<s.count {
                let slot = Self.slot(s[i - 1], s[i])
                if pairs[slot >> 6] & (1 << UInt64(slot & 63)) != 0 {
                    candidate = true
                    break
                }
            }
        }
        guard candidate else { return }
        for value in values {
            for range in value.ranges(in: s) { body(range) }
        }
    }
}
