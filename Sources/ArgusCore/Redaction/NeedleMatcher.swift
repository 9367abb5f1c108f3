/// Finds many known secret values in text in one pass (Aho–Corasick).
///
/// The values are the server's secret environment variables and the values
/// redaction has already removed in this session (`SecretMemory`). Searching
/// for each value separately costs (values × text); this automaton reads each
/// byte of the text once, whatever the number of values, so a session that has
/// learnt hundreds of values records as fast as one that has learnt none.
/// Immutable once built: shared between threads without locks.
final class NeedleMatcher: Sendable {
    struct Needle: Sendable {
        var bytes: [UInt8]
        var label: String
    }

    struct Match {
        var range: Range<Int>
        var label: String
    }

    private let labels: [String]
    private let lengths: [Int32]
    /// Transitions from the root, dense (most bytes of a text leave the root at once).
    private let root: [Int32]
    /// Transitions of every other node: `childStart[node] ..< childStart[node + 1]` in
    /// `childBytes`/`childTargets`, sorted by byte.
    private let childStart: [Int32]
    private let childBytes: [UInt8]
    private let childTargets: [Int32]
    private let fail: [Int32]
    /// The longest needle that ends at this node (itself or through its suffixes), or -1.
    private let output: [Int32]

    var isEmpty: Bool { labels.isEmpty }

    /// Needles with the same bytes are kept once (the first label wins).
    init(_ needles: [Needle]) {
        var labels: [String] = []
        var lengths: [Int32] = []
        // Build the trie with per-node child lists, then flatten.
        var children: [[(byte: UInt8, target: Int32)]] = [[]]
        var terminal: [Int32] = [-1]
        for needle in needles where !needle.bytes.isEmpty {
            var node = 0
            for byte in needle.bytes {
                if let next = children[node].first(where: { $0.byte == byte }) {
                    node = Int(next.target)
                } else {
                    let created = Int32(children.count)
                    children[node].append((byte, created))
                    children.append([])
                    terminal.append(-1)
                    node = Int(created)
                }
            }
            if terminal[node] < 0 {
                terminal[node] = Int32(labels.count)
                labels.append(needle.label)
                lengths.append(Int32(needle.bytes.count))
            }
        }
        let count = children.count
        var childStart = [Int32](repeating: 0, count: count + 1)
        var childBytes: [UInt8] = []
        var childTargets: [Int32] = []
        for node in 0..<count {
            childStart[node] = Int32(childBytes.count)
            for child in children[node].sorted(by: { $0.byte < $1.byte }) {
                childBytes.append(child.byte)
                childTargets.append(child.target)
            }
        }
        childStart[count] = Int32(childBytes.count)
        var root = [Int32](repeating: 0, count: 256)
        for child in children[0] { root[Int(child.byte)] = child.target }

        // Failure links and outputs, breadth first (a node's failure is shallower than the node).
        var fail = [Int32](repeating: 0, count: count)
        var output = terminal
        var queue: [Int32] = children[0].map(\.target)
        var head = 0
        while head < queue.count {
            let node = Int(queue[head])
            head += 1
            if output[node] < 0 { output[node] = output[Int(fail[node])] }
            for child in children[node] {
                var f = Int(fail[node])
                var target: Int32 = 0
                while true {
                    if f == 0 {
                        target = root[Int(child.byte)]
                        break
                    }
                    if let t = children[f].first(where: { $0.byte == child.byte }) {
                        target = t.target
                        break
                    }
                    f = Int(fail[f])
                }
                fail[Int(child.target)] = target
                queue.append(child.target)
            }
        }
        self.labels = labels
        self.lengths = lengths
        self.root = root
        self.childStart = childStart
        self.childBytes = childBytes
        self.childTargets = childTargets
        self.fail = fail
        self.output = output
    }

    @inline(__always) private func child(_ node: Int, _ byte: UInt8) -> Int32? {
        var lo = Int(childStart[node]), hi = Int(childStart[node + 1])
        while lo < hi {
            let mid = (lo + hi) / 2
            let b = childBytes[mid]
            if b == byte { return childTargets[mid] }
            if b < byte { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }

    /// Every place a needle ends, as the longest needle ending there (shorter ones inside it add nothing).
    /// Ranges may overlap; the caller merges them.
    func matches(in s: UnsafeBufferPointer<UInt8>, into found: inout [Match]) {
        guard !labels.isEmpty else { return }
        var state = 0
        for i in 0..<s.count {
            let byte = s[i]
            while true {
                if state == 0 {
                    state = Int(root[Int(byte)])
                    break
                }
                if let next = child(state, byte) {
                    state = Int(next)
                    break
                }
                state = Int(fail[state])
            }
            let needle = Int(output[state])
            if needle >= 0 {
                found.append(Match(range: (i + 1 - Int(lengths[needle]))..<(i + 1), label: labels[needle]))
            }
        }
    }
}
