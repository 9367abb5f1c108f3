import ArgusCore
import ArgusReplay
import ArgusStore
import ArgusSystem
import Foundation

/// `argus dashboard`: the HTTP server, the live feed, the stats index and the
/// replay service over one database.
public final class Dashboard: @unchecked Sendable {
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port = 3000
        public var databasePath: String
        public var tokenPath: String
        public var version: String
        public var replay: ReplayEngine.Options
        public var servers: [String: ServerLaunch] = [:]
        /// Extra names the dashboard may be reached by (Host header), for a non-loopback bind.
        public var extraHosts: [String] = []
        public var pollInterval = 0.05
        /// When agent behaviour becomes a verdict (`GET /api/runs/:id/verdicts`); the replay options' scripts add theirs.
        public var verdicts = VerdictThresholds()

        public init(databasePath: String, tokenPath: String, version: String, replay: ReplayEngine.Options) {
            self.databasePath = databasePath
            self.tokenPath = tokenPath
            self.version = version
            self.replay = replay
        }
    }

    public let options: Options
    public let token: String
    private let pool: ReaderPool
    private let feed: LiveFeed
    private let stats = StatsIndex()
    private let replay: ReplayService
    private var server: HTTPServer?
    private var router = Router()
    /// What every request passes through, outermost first; set once the port is known.
    private var middleware: MiddlewareChain?

    /// Opens the database (which must exist and be readable) and the token.
    public init(options: Options) throws {
        self.options = options
        pool = ReaderPool(path: options.databasePath)
        // Fail now, with the store's message, if the database is missing, corrupt or too new.
        try pool.withReader { reader in _ = try reader.runs(limit: 1) }
        token = try DashboardToken.loadOrCreate(path: options.tokenPath)
        let stats = self.stats
        let pool = self.pool
        feed = LiveFeed(
            databasePath: options.databasePath, pollInterval: options.pollInterval, onCalls: { stats.add($0) },
            onDeleted: {
                // Deleted by anyone (this dashboard, `argus` in a terminal): recount, off the feed's thread.
                OSThread(name: "dashboard-stats", background: true) { try? pool.withReader { try stats.load(from: $0) } }
            })
        replay = ReplayService(settings: .init(template: options.replay, servers: options.servers), pool: pool)
    }

    public var port: Int { server?.boundPort ?? options.port }

    /// The page carries the token only when the dashboard is reachable from this machine
    /// alone; on another address, anyone who can load the page could read it, so the
    /// page asks for it instead. Decided by the address the socket is really bound to,
    /// not by the name it was given.
    var embedsToken: Bool { server?.isLoopbackBound ?? false }

    /// The address to open, e.g. `http://127.0.0.1:3000/`.
    public var url: String {
        let host = AccessGuard.isWildcard(options.host) ? "127.0.0.1" : options.host.contains(":") ? "[\(options.host)]" : options.host
        return "http://\(host):\(port)/"
    }

    /// Starts serving. Stats load in the background (a large database takes a moment).
    public func start() throws {
        let http = HTTPServer(
            options: .init(host: options.host, port: options.port),
            admit: { [unowned self] head in admit(head) },
            handler: { [unowned self] request in handle(request) })
        let port = try http.listen()
        // Everything requests read is in place before the first one is accepted.
        server = http
        middleware = MiddlewareChain([
            SecurityHeaders(),  // on every answer, refusals included
            ErrorMiddleware(),
            AccessGuard(bindHost: options.host, port: port, extraHosts: options.extraHosts),
            TokenCheck(token: token),
        ])
        var api = API(pool: pool, feed: feed, stats: stats, replay: replay, version: options.version, startedAt: SystemClock.wallMicros())
        api.verdicts = .init(thresholds: options.verdicts, scripts: options.replay.scripts, limits: options.replay.scriptLimits)
        api.register(&router)
        try feed.start()
        http.serve()
        let pool = self.pool, stats = self.stats
        OSThread(name: "dashboard-stats", background: true) {
            try? pool.withReader { try stats.load(from: $0) }
        }
    }

    public func stop() {
        server?.stop()
        feed.stop()
        replay.closeAll()
    }

    /// The door, on the head alone: the request goes through the middleware as if whole, up to an
    /// endpoint that only says "send the body" (100 Continue). A middleware that refuses (Host,
    /// Origin, token) answers first, with the headers every answer gets, and no body is read.
    func admit(_ head: HTTPRequest) -> Admission {
        guard let middleware else { return .refuse(HTTPError(503, "starting").response) }
        let answer = middleware.respond(to: head) { _ in HTTPResponse(status: 100) }
        return answer.status == 100 ? .accept(maxBodyBytes: router.maxBodyBytes(for: head)) : .refuse(answer)
    }

    /// A whole request: the middleware again (a request that reached here has passed it on its
    /// head), then the page and its files, or the API.
    func handle(_ request: HTTPRequest) -> HTTPResponse {
        guard let middleware else { return HTTPError(503, "starting").response }
        let assets = Assets(token: embedsToken ? token : nil, version: options.version)
        return middleware.respond(to: request) { request in
            if request.method == "GET", let asset = assets.response(for: request.path) { return asset }
            return try router.handle(request)
        }
    }
}
