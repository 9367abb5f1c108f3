import ArgusCore
import ArgusProxy
import ArgusStore
import ArgusSystem
import AsyncHTTPClient
import CArgusSystem
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// `argus proxy --listen HOST:PORT --upstream URL`: an HTTP reverse proxy in front of a remote
/// MCP server. Clients that speak Streamable HTTP are pointed at the proxy; every request goes
/// upstream as it came (with `--header` values added), every answer comes back as it arrives,
/// and every message is recorded as `argus wrap` records a stdio session, one recording per
/// MCP session.
public enum ProxyServer {
    enum Event {
        case listening(port: Int)
        case failed(String)
        case signal(Int32)
        case stopped
    }

    /// Serves until SIGINT or SIGTERM, then ends every session's run and writes what is queued.
    /// Call on the main thread, before any other thread exists.
    public static func run(_ options: ProxyOptions) -> Int32 {
        argus_block_termination_signals()
        let environment = ProcessInfo.processInfo.environment
        let wrap = options.wrap
        let target: RemoteURL
        let client: HTTPClient
        var headers: [(String, String)] = []
        do throws(RemoteError) {
            if let refusal = wrap.startRefusal { throw .badURL(refusal) }
            target = try RemoteURL(options.upstream)
            for header in options.headers { headers.append((header.name, try header.expanded(environment))) }
            if !options.allowRemote, !options.listen.isLoopback {
                throw .badListen("--listen \(options.listen.authority()) can be reached from other machines, which could then "
                                 + "use the upstream through this proxy (and the credentials its --header adds). "
                                 + "Add --allow-remote if that is what you want.")
            }
            var configuration = try RemoteWrapSession.clientConfiguration(for: target, environment: environment)
            // A reverse proxy passes redirects on (the client decides), and holds many streams at once.
            configuration.redirectConfiguration = .disallow
            configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 1024)
            client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        } catch {
            StderrLog.write("argus: cannot start the proxy: \(error)")
            return 1
        }

        let recording = wrap.recordingError == nil
        let basePolicy = RemoteRecordingSetup.policy(wrap, environment: environment, secrets: headers.map { (name: $0.0, value: $0.1) })
        let launch = RemoteRecordingSetup.launch(target, headers: options.headers, extraArgs: ["--listen", options.listen.authority()])
        let serverName = wrap.serverName ?? RemoteWrapSession.defaultServerName(url: options.upstream)
        let flushTimeout = ArgusDatabase.unwritableReason(path: wrap.databasePath) == nil ? wrap.flushTimeoutSeconds : 0
        let recordings = SessionRecordings { session, secrets in
            var config = RecorderConfig(serverName: serverName, launch: launch, idleTimeoutSeconds: wrap.idleTimeoutSeconds,
                                        redaction: RemoteRecordingSetup.adding(secrets, to: basePolicy), argusPID: getpid())
            config.sealer = recording ? wrap.sealer : nil
            config.recordingError = wrap.recordingError
            var pipelineOptions = RecordingPipeline.Options(databasePath: wrap.databasePath)
            pipelineOptions.followsRunRequests = true
            let pipeline = RecordingPipeline(config: config, options: pipelineOptions, report: StderrLog.write,
                                             onCommit: wrap.onCommit, makeHooks: recording ? wrap.makeHooks : nil)
            return SessionRecording(session: session, pipeline: pipeline, recording: recording, flushTimeoutSeconds: flushTimeout)
        }

        let mailbox = Mailbox<Event>()
        OSThread(name: "argus-signals") {
            while true { mailbox.post(.signal(argus_wait_signal())) }
        }
        let listen = options.listen
        let server = Task {
            do {
                try await serve(listen, mailbox: mailbox) { port in
                    let proxyOrigin = options.publicURL.map { RemoteURL(unchecked: $0).origin } ?? "http://" + listen.authority(port: port)
                    var hosts: Set<String> = [listen.authority(port: port).lowercased(), "localhost:\(port)"]
                    if listen.isLoopback { hosts.formUnion(["127.0.0.1:\(port)", "[::1]:\(port)"]) }
                    let publicAuthority = String(proxyOrigin.drop { $0 != "/" }.dropFirst(2)).lowercased()
                    hosts.insert(publicAuthority.contains(":") ? publicAuthority
                                 : publicAuthority + (proxyOrigin.hasPrefix("https:") ? ":443" : ":80"))
                    if !publicAuthority.contains(":") { hosts.insert(publicAuthority) }
                    return ProxyContext(client: client, upstream: target, upstreamHeaders: headers, recordings: recordings,
                                        metadata: ProtectedResourceMetadata(upstreamOrigin: target.origin, proxyOrigin: proxyOrigin),
                                        servedPath: target.path, allowedHosts: hosts)
                }
            } catch {
                mailbox.post(.failed("cannot listen on \(listen.authority()): \(StreamableHTTPConnection.describe(error))"))
            }
            mailbox.post(.stopped)
        }

        var status: Int32 = 0
        var signal: Int32?
        loop: while true {
            for event in mailbox.wait(untilMonotonicNanos: nil) {
                switch event {
                case .listening(let port):
                    let served = options.publicURL ?? "http://\(listen.authority(port: port))\(target.path)"
                    StderrLog.write("argus: proxy listening on \(served) → \(target.display)")
                case .failed(let message):
                    StderrLog.write("argus: \(message)")
                    status = 1
                    break loop
                case .signal(let number):
                    signal = number
                    break loop
                case .stopped:
                    break loop
                }
            }
        }
        // Stop accepting and close every connection (their upstream requests are cancelled);
        // sessions stay open upstream, so a client can carry on with a proxy started again.
        server.cancel()
        let giveUpAt = SystemClock.monotonicNanos() + 5_000_000_000
        waiting: while SystemClock.monotonicNanos() < giveUpAt {
            for event in mailbox.wait(untilMonotonicNanos: giveUpAt) {
                if case .stopped = event { break waiting }
            }
        }
        recordings.finishAll(reason: signal != nil ? .signal : .clientEOF, detail: signal.map { "argus proxy stopped by signal \($0)" })
        try? client.syncShutdown()
        wrap.onFinish?()
        return status
    }

    /// The path the proxy serves for an upstream address: the upstream's own.
    public static func servedPath(upstream: String) -> String { RemoteURL(unchecked: upstream).path }

    /// Binds, reports the port, and serves each connection in a task of its own until cancelled.
    private static func serve(_ listen: ListenAddress, mailbox: Mailbox<Event>,
                              context makeContext: (Int) -> ProxyContext) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: listen.host, port: listen.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    return try ClientChannel(wrappingChannelSynchronously: channel)
                }
            }
        let port = server.channel.localAddress?.port ?? listen.port
        let connection = ProxyConnection(context: makeContext(port))
        mailbox.post(.listening(port: port))
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { inbound in
                for try await channel in inbound {
                    group.addTask { await connection.serve(channel) }
                }
            }
            group.cancelAll()
        }
    }
}
