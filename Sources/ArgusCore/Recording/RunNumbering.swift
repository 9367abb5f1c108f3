import Synchronization

/// Where a recorder's runs get their numbers (`LocalRunID`). A writer knows a run by its
/// number until the run's row is written (and PostgreSQL keeps it as `origin_run`, unique per
/// writer), so recorders that share one writer must draw from one numbering: `argus proxy`'s
/// sessions do. A recorder with a writer of its own numbers from 1.
public final class RunNumbering: Sendable {
    private let next = Mutex<LocalRunID>(1)

    public init() {}

    /// A number no run of this numbering has had.
    public func take() -> LocalRunID {
        next.withLock { next in
            defer { next += 1 }
            return next
        }
    }
}
