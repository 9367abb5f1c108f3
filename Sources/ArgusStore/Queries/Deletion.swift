/// Which calls a delete removes (`ArgusWriter.deleteCalls`).
public enum CallDeletion {
    public struct Selection: Sendable {
        public var run: Int64?
        /// Calls with an id below this one (older).
        public var beforeID: Int64?
        public var ids: [Int64]?
        /// Everything (must be asked for explicitly).
        public var all = false

        public init() {}

        public var isEmpty: Bool { run == nil && beforeID == nil && ids == nil && !all }

        /// Whole runs are deleted, not some of their calls.
        var coversWholeRuns: Bool { all || (run != nil && beforeID == nil && ids == nil) }
    }
}

/// What deleting whole runs removed (`ArgusWriter.deleteRuns`).
public enum RunDeletion {
    public struct Outcome: Sendable, Equatable {
        public var runs = 0
        public var calls = 0
    }
}
