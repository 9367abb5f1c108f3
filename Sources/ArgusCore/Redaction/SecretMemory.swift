/// The secret values one session has already redacted, so that the same value
/// is scrubbed wherever it shows up later: a password sent under `"password"`
/// and echoed by the server in a result, an error message, a log notification
/// or a stderr line; a token given as `--api-key=…` and printed at start-up.
///
/// Values shorter than `RedactionPolicy.minimumSecretValueLength` are not
/// remembered (`"a"` would scrub every "a"). Memory is bounded: at most
/// `maxValues` values of at most `maxValueBytes` each; when full, the oldest is
/// forgotten first. Longer values (keys, certificates) are still redacted
/// where they are found by key or shape; only their echoes are not searched.
///
/// Shared by the threads of a session under a lock; readers take the current
/// matcher once per message and search without the lock.
public final class SecretMemory: @unchecked Sendable {
    public static let maxValues = 256
    public static let maxValueBytes = 1024

    private let monitor = Monitor()
    private let fixed: [NeedleMatcher.Needle]
    private var learned: [[UInt8]] = []
    private var known: Set<[UInt8]> = []
    private var current: NeedleMatcher

    /// - Parameter fixed: values always searched (the server's secret environment variables), with their labels.
    init(fixed: [NeedleMatcher.Needle]) {
        self.fixed = fixed
        current = NeedleMatcher(fixed)
    }

    /// The matcher for the fixed values and everything learnt so far.
    var matcher: NeedleMatcher { monitor.locked { current } }

    /// How many values have been learnt (and are still remembered).
    public var count: Int { monitor.locked { learned.count } }

    /// Remembers values; returns true when at least one was new (the matcher was rebuilt).
    @discardableResult
    func learn(_ values: [[UInt8]]) -> Bool {
        let candidates = values.filter {
            $0.count >= RedactionPolicy.minimumSecretValueLength && $0.count <= Self.maxValueBytes
                && !$0.starts(with: Self.markerPrefix)
        }
        guard !candidates.isEmpty else { return false }
        return monitor.locked {
            var added = false
            for value in candidates where !known.contains(value) {
                known.insert(value)
                learned.append(value)
                added = true
            }
            guard added else { return false }
            if learned.count > Self.maxValues {
                for old in learned.prefix(learned.count - Self.maxValues) { known.remove(old) }
                learned.removeFirst(learned.count - Self.maxValues)
            }
            current = NeedleMatcher(fixed + learned.map { NeedleMatcher.Needle(bytes: $0, label: Self.echoLabel) })
            return true
        }
    }

    static let echoLabel = "echo"
    static let markerPrefix = Array("[REDACTED".utf8)
}
