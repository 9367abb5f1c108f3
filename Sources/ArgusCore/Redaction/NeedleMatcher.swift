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

    /// Needles with the same bytes are kept once (the first label wins). Built in time linear
    /// in the needles' total size, with no allocation per node: it runs whenever a session
    /// learns a value.
    init(_ needles: [Needle]) {
        var labels: [String] = []
        var lengths: [Int32] = []
        // The trie as sibling lists in flat arrays; the root's children in a dense table.
        var root = [Int32](repeating: 0, count: 256)
        var firstChild: [Int32] = [-1]
        var nextSibling: [Int32] = [-1]
        var nodeByte: [UInt8] = [0]
        var terminal: [Int32] = [-1]
        for needle in needles where !needle.bytes.isEmpty {
            var node: Int32 = 0
            for byte in needle.bytes {
                var found: Int32 = node == 0 ? root[Int(byte)] : -1
                if node != 0 {
                    var c = firstChild[Int(node)]
                    while c >= 0 {
                        if nodeByte[Int(c)] == byte { found = c; break }
                        c = nextSibling[Int(c)]
                    }
                }
                if found <= 0 {
                    found = Int32(nodeByte.count)
                    nodeByte.append(byte)
                    firstChild.append(-1)
                    terminal.append(-1)
                    if node == 0 {
                        nextSibling.append(-1)
                        root[Int(byte)] = found
                    } else {
                        nextSibling.append(firstChild[Int(node)])
                        firstChild[Int(node)] = found
                    }
                }
                node = found
            }
            if terminal[Int(node)] < 0 {
                terminal[Int(node)] = Int32(labels.count)
                labels.append(needle.label)
                lengths.append(Int32(needle.bytes.count))
            }
        }

        // Flatten: each node's children sorted by byte, for binary search.
        let count = nodeByte.count
        var childStart = [Int32](repeating: 0, count: count + 1)
        var childBytes: [UInt8] = []
        var childTargets: [Int32] = []
        childBytes.reserveCapacity(count)
        childTargets.reserveCapacity(count)
        var siblings: [Int32] = []
        for node in 0..<count {
            childStart[node] = Int32(childBytes.count)
            if node == 0 { continue }  // the root uses its dense table
            siblings.removeAll(keepingCapacity: true)
            var c = firstChild[node]
            while c >= 0 {
                siblings.append(c)
                c = nextSibling[Int(c)]
            }
            if siblings.count > 1 { siblings.sort { nodeByte[Int($0)] < nodeByte[Int($1)] } }
            for child in siblings {
                childBytes.append(nodeByte[Int(child)])
                childTargets.append(child)
            }
        }
        childStart[count] = Int32(childBytes.count)
        self.root = root
        self.childStart = childStart
        self.childBytes = childBytes
        self.childTargets = childTargets

        // Failure links and outputs, breadth first (a node's failure is shallower than the node).
        var fail = [Int32](repeating: 0, count: count)
        var output = terminal
        var queue: [Int32] = []
        queue.reserveCapacity(count)
        for byte in 0..<256 where root[byte] > 0 { queue.append(root[byte]) }
        var head = 0
        while head < queue.count {
            let node = Int(queue[head])
            head += 1
            if output[node] < 0 { output[node] = output[Int(fail[node])] }
            for k in Int(childStart[node])..<Int(childStart[node + 1]) {
                let byte = childBytes[k], target = childTargets[k]
                var f = Int(fail[node])
                while f != 0 && Self.find(byte, in: f, childStart, childBytes, childTargets) == nil { f = Int(fail[f]) }
                fail[Int(target)] = f == 0 ? root[Int(byte)] : Self.find(byte, in: f, childStart, childBytes, childTargets) ?? 0
                queue.append(target)
            }
        }
        self.labels = labels
        self.lengths = lengths
        self.fail = fail
        self.output = output
    }

    @inline(__always) private static func find(
        _ byte: UInt8, in node: Int, _ childStart: [Int32], _ childBytes: [UInt8],
        _ childTargets: [Int32]
    ) -> Int32? {
        var lo = Int(childStart[node]), hi = Int(childStart[node + 1])
        while lo < hi {
            let mid = (lo + hi) / 2
            let b = childBytes[mid]
            if b == byte { return childTargets[mid] }
            if b < byte { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }

    @inline(__always) private func child(_ node: Int, _ byte: UInt8) -> Int32? {
        Self.find(byte, in: node, childStart, childBytes, childTargets)
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
