import ArgusCore
import ArgusStore

/// Hears "begin a new run" and "end run N" for one session (an `argus wrap`, an `argus proxy`
/// session): on the recorder's ~1 s tick it takes the requests made since the session
/// started from the store's `RunRequestFeed` (the session's own, or its proxy's) and keeps
/// those for it.
final class RunRequestWatcher {
    private let feed: RunRequestFeed
    private let serverName: String
    private let startedAt: Int64
    private var lastSeen: Int64 = 0

    init(feed: RunRequestFeed, serverName: String, startedAt: Int64) {
        self.feed = feed
        self.serverName = serverName
        self.startedAt = startedAt
    }

    /// The requests that apply to this session, whose current run has database id `currentRun`.
    func check(currentRun: Int64) -> [RunRequest] {
        let requests = feed.requests(after: lastSeen, since: startedAt)
        lastSeen = requests.last?.id ?? lastSeen
        return requests.filter { request in
            if let run = request.runID { return run == currentRun }
            return request.server == nil || request.server == serverName
        }
    }
}
