extension ArgusReader {
    /// What a run recorded by `argus mock` is called in `runs.kind`: an agent's session answered from a
    /// recording. Listed like any run (marked), but its latencies and errors are the recording's, not
    /// a server's, so the figures (`stats`, the dashboard's, `/metrics`) leave it out.
    public static let mockKind = "mock"

    /// The condition that leaves out calls answered by `argus mock`.
    static let notMockCondition = "run_id NOT IN (SELECT id FROM runs WHERE kind = '\(mockKind)')"
}
