import Synchronization

/// The secret values one session has already redacted, so that the same value
/// is scrubbed wherever it shows up later: a password sent under `"password"`
/// and echoed by the server in a result, an error message, a log notification
/// or a stderr line; a token given as `--api-key=…` and printed at start-up.
///
/// Values shorter than `RedactionPolicy.minimumSecretValueLength` are not
/// remembered (`"a"` would scrub every "a"). Memory is bounded: at most
/// `maxValues` values of at most `maxValueBytes` each; when it is full, the
/// oldest quarter is forgotten. Longer values (keys, certificates) are still
/// redacted where they are found by key or shape; only their echoes are not
/// searched for.
///
/// Values arrive one message at a time (a new page token per page is common),
/// so the search automaton is not rebuilt for each: up to `recentValues` new
/// values are searched on their own (`KnownValue`, linear each), then all are
/// rebuilt into the automaton at once.
///
/// Shared by the threads of a session under a lock (`Mutex`: Core keeps no thread
/// machinery of its own); readers take the current matchers once per message and search
/// without the lock.
public final class SecretMemory: Sendable {
    public static let maxValues = 256
    public static let maxValueBytes = 1024

    private struct Values {
        /// Oldest first; `learned[..<merged]` are in `main`, the rest in `recent`.
        var learned: [[UInt8]] = []
        var merged = 0
        var known: Set<[UInt8]> = []
        var main: NeedleMatcher
        var recent = RecentValues.empty
    }

    private let fixed: [NeedleMatcher.Needle]
    private let remembered: Mutex<Values>

    /// - Parameter fixed: values always searched (the server's secret environment variables), with their labels.
    init(fixed: [NeedleMatcher.Needle]) {
        self.fixed = fixed
        remembered = Mutex(Values(main: NeedleMatcher(fixed)))
    }

    /// What to search for: the fixed values and everything learnt so far.
    var snapshot: (matcher: NeedleMatcher, recent: RecentValues) { remembered.withLock { ($0.main, $0.recent) } }

    /// How many values are remembered.
    public var count: Int { remembered.withLock { $0.learned.count } }

    /// Remembers values; returns those that were new (and are still remembered).
    @discardableResult
    func learn(_ values: [[UInt8]]) -> [[UInt8]] {
        // Only the newest can stay (the oldest are forgotten first), so a message with
        // thousands of secret values costs no more here than one with a few hundred.
        let candidates = values.suffix(Self.maxValues).filter {
            $0.count >= RedactionPolicy.minimumSecretValueLength && $0.count <= Self.maxValueBytes
                && !$0.starts(with: RedactionMarker.redactedPrefixBytes)
        }
        guard !candidates.isEmpty else { return [] }
        return remembered.withLock { v in
            var added = 0
            for value in candidates where !v.known.contains(value) {
                v.known.insert(value)
                v.learned.append(value)
                added += 1
            }
            guard added > 0 else { return [] }
            var rebuild = v.learned.count - v.merged > Self.recentValues
            if v.learned.count > Self.maxValues {
                let forget = v.learned.count - Self.maxValues * 3 / 4
                for old in v.learned.prefix(forget) { v.known.remove(old) }
                v.learned.removeFirst(forget)
                rebuild = true
            }
            if rebuild {
                v.main = NeedleMatcher(fixed + v.learned.map(Self.needle))
                v.merged = v.learned.count
                v.recent = .empty
            } else {
                v.recent = v.recent.adding(Array(v.learned.suffix(added)))
            }
            return Array(v.learned.suffix(min(added, v.learned.count)))
        }
    }

    /// New values are searched one by one until there are more than this many; then all
    /// values are rebuilt into the automaton (once per this many new values).
    static let recentValues = 64

    private static func needle(_ bytes: [UInt8]) -> NeedleMatcher.Needle { NeedleMatcher.Needle(bytes: bytes, label: echoLabel) }

    static let echoLabel = "echo"
}
