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
    private var guardian: AccessGuard?

    /// Opens the database (which must exist and be readable) and the token.
    public init(options: Options) throws {
        self.options = options
        pool = ReaderPool(path: options.databasePath)
        // Fail now, with the store's message, if the database is missing, corrupt or too new.
        try pool.withReader { reader in _ = try reader.db.scalarInt("SELECT COUNT(*) FROM runs") }
        token = try DashboardToken.loadOrCreate(path: options.tokenPath)
        let stats = self.stats
        let pool = self.pool
        feed = LiveFeed(databasePath: options.databasePath, pollInterval: options.pollInterval, onCalls: { stats.add($0) },
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

    /// Bodies are read only for requests that change something (and so carry the token): up to
    /// 16 MiB for a replay (edited arguments can be as large as the recorded call), 1 MiB elsewhere.
    static func maxBodyBytes(for request: HTTPRequest) -> Int {
        guard AccessGuard.mutatingMethods.contains(request.method) else { return 0 }
        let path = Router.segments(request.path)
        let isReplay = request.method == "POST" && path.count == 4 && path[0] == "api" && path[1] == "calls" && path[3] == "replay"
        return isReplay ? 16 << 20 : 1 << 20
    }

    /// The address to open, e.g. `http://127.0.0.1:3000/`.
    public var url: String {
        let host = AccessGuard.isWildcard(options.host) ? "127.0.0.1" : options.host.contains(":") ? "[\(options.host)]" : options.host
        return "http://\(host):\(port)/"
    }

    /// Starts serving. Stats load in the background (a large database takes a moment).
    public func start() throws {
        let http = HTTPServer(options: .init(host: options.host, port: options.port),
                              admit: { [unowned self] head in admit(head) },
                              handler: { [unowned self] request in handle(request) })
        let port = try http.listen()
        // Everything requests read is in place before the first one is accepted.
        guardian = AccessGuard(token: token, bindHost: options.host, port: port, extraHosts: options.extraHosts)
        server = http
        let api = API(pool: pool, feed: feed, stats: stats, replay: replay, version: options.version, startedAt: SystemClock.wallMicros())
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

    /// The door, on the head alone: a request it refuses is answered before any of its body is read.
    func admit(_ head: HTTPRequest) -> Admission {
        if let refusal = refusal(head) { return .refuse(secured(refusal)) }
        return .accept(maxBodyBytes: Self.maxBodyBytes(for: head))
    }

    func refusal(_ request: HTTPRequest) -> HTTPResponse? {
        guard let guardian else { return .error(503, "starting") }
        if case .denied(let status, let message) = guardian.check(request) { return .error(status, message) }
        return nil
    }

    /// Every request passes the guard; every response gets the security headers.
    func handle(_ request: HTTPRequest) -> HTTPResponse {
        if let refusal = refusal(request) { return secured(refusal) }
        if request.method == "GET", let asset = Assets.response(for: request.path, token: embedsToken ? token : nil, version: options.version) {
            return secured(asset)
        }
        return secured(router.handle(request))
    }

    func secured(_ response: HTTPResponse) -> HTTPResponse {
        var response = response
        response.headers += [("x-content-type-options", "nosniff"), ("x-frame-options", "DENY"), ("referrer-policy", "no-referrer"),
                             ("content-security-policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                + "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")]
        if response.header("cache-control") == nil { response.headers.append(("cache-control", "no-store")) }
        return response
    }
}
