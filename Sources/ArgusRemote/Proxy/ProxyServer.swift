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
        let flushTimeout = ArgusDatabase.unwritableReason(path: wrap.databasePath) == nil ? wrap.flushTimeoutSeconds : 0
        let makeBackend: @Sendable (_ proxyOrigin: String) -> ProxyContext.Backend
        let servedPath: String
        let behind: String
        let shutdown: @Sendable (_ reason: EndReason, _ detail: String) -> Void
        let recording: ProxyRecording
        let reap: @Sendable (_ idleSeconds: Double) -> Void
        do throws(RemoteError) {
            if let refusal = wrap.startRefusal { throw .badURL(refusal) }
            if !options.allowRemote, !options.listen.isLoopback {
                throw .badListen(
                    "--listen \(options.listen.authority()) can be reached from other machines, which could then "
                        + "use the MCP server through this proxy (and the credentials its --header adds). "
                        + "Add --allow-remote if that is what you want.")
            }
            switch options.target {
            case .upstream(let url):
                let target = try RemoteURL(url)
                var expanded: [(String, String)] = []
                for header in options.headers { expanded.append((header.name, try header.expanded(environment))) }
                let headers = expanded
                var configuration = try RemoteWrapSession.clientConfiguration(for: target, environment: environment)
                // A reverse proxy passes redirects on (the client decides), and holds many streams at once.
                configuration.redirectConfiguration = .disallow
                configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 1024)
                // The server's own event loops: an exchange binds its upstream request to its client connection's loop.
                let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
                let plain = PlainUpstream(target, proxied: configuration.proxy != nil)
                recording = ProxyRecording(
                    wrap, serverName: wrap.serverName ?? RemoteWrapSession.defaultServerName(url: url),
                    launch: RemoteRecordingSetup.launch(
                        target, headers: options.headers, extraArgs: ["--listen", options.listen.authority()]),
                    policy: RemoteRecordingSetup.policy(wrap, environment: environment, secrets: headers.map { (name: $0.0, value: $0.1) }),
                    flushTimeoutSeconds: flushTimeout)
                let recordings = SessionRecordings { [recording] session, secrets in recording.session(session, secrets: secrets) }
                makeBackend = { origin in
                    .remote(
                        RemoteBackend(
                            client: client, upstream: target, plain: plain,
                            upstreamHeaders: headers, recordings: recordings,
                            metadata: ProtectedResourceMetadata(upstreamOrigin: target.origin, proxyOrigin: origin)))
                }
                servedPath = target.path
                behind = target.display
                reap = { recordings.reap(idleFor: $0) }
                shutdown = { reason, detail in
                    recordings.finishAll(reason: reason, detail: detail)
                    try? client.syncShutdown()
                }
            case .stdio:
                let serverEnvironment = environment.merging(wrap.extraEnvironment) { $1 }
                do throws(SpawnError) {
                    _ = try ChildProcess.resolve(wrap.command, searchPath: serverEnvironment["PATH"])
                } catch {
                    throw .badURL("cannot start the MCP server: \(error)")
                }
                let launch = LaunchSpec(
                    command: wrap.command, args: wrap.recordingError == nil ? wrap.arguments : [],
                    cwd: wrap.cwd ?? FileManager.default.currentDirectoryPath, envNames: serverEnvironment.keys.sorted())
                recording = ProxyRecording(
                    wrap, serverName: wrap.serverName ?? ServerNaming.defaultName(command: wrap.command, arguments: wrap.arguments),
                    launch: launch, policy: RemoteRecordingSetup.policy(wrap, environment: serverEnvironment, secrets: []),
                    flushTimeoutSeconds: flushTimeout)
                let backend = StdioBackend(
                    launch: .init(
                        command: wrap.command, arguments: wrap.arguments,
                        environment: wrap.extraEnvironment.isEmpty ? nil : serverEnvironment,
                        cwd: wrap.cwd, graceSeconds: wrap.graceSeconds)
                ) { [recording] session, pid in
                    recording.session(session, secrets: [], serverPID: pid)
                }
                makeBackend = { _ in .stdio(backend) }
                servedPath = "/mcp"
                behind = ([wrap.command] + wrap.arguments).joined(separator: " ") + " (a process per session)"
                reap = { backend.reap(idleFor: $0) }
                shutdown = { reason, detail in backend.endAll(reason: reason, detail: detail) }
            }
        } catch {
            StderrLog.write("argus: cannot start the proxy: \(error)")
            return 1
        }

        let mailbox = Mailbox<Event>()
        OSThread(name: "argus-signals") {
            while true { mailbox.post(.signal(argus_wait_signal())) }
        }
        let listen = options.listen
        let publicOrigin = options.publicURL.map { RemoteURL(unchecked: $0).origin }
        let server = Task {
            do {
                try await serve(listen, mailbox: mailbox) { port in
                    let proxyOrigin = publicOrigin ?? "http://" + listen.authority(port: port)
                    return ProxyContext(
                        backend: makeBackend(proxyOrigin), servedPath: servedPath,
                        allowedHosts: allowedHosts(listen, port: port, origin: proxyOrigin))
                }
            } catch {
                mailbox.post(.failed("cannot listen on \(listen.authority()): \(StreamableHTTPConnection.describe(error))"))
            }
            mailbox.post(.stopped)
        }

        // Sessions a client left without DELETE must not hold threads (and processes) forever.
        let reaper = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(60))
                reap(sessionIdleSeconds)
            }
        }

        var status: Int32 = 0
        var signal: Int32?
        loop: while true {
            for event in mailbox.wait(untilMonotonicNanos: nil) {
                switch event {
                case .listening(let port):
                    StderrLog.write(
                        "argus: proxy listening on \(publicOrigin ?? "http://" + listen.authority(port: port))\(servedPath) → \(behind)")
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
        reaper.cancel()
        let giveUpAt = SystemClock.monotonicNanos() + 5_000_000_000
        waiting: while SystemClock.monotonicNanos() < giveUpAt {
            for event in mailbox.wait(untilMonotonicNanos: giveUpAt) {
                if case .stopped = event { break waiting }
            }
        }
        shutdown(signal != nil ? .signal : .clientEOF, signal.map { "argus proxy stopped by signal \($0)" } ?? "argus proxy stopped")
        recording.finish()
        wrap.onFinish?()
        return status
    }

    /// A session with no message for this long is taken as abandoned (30 minutes).
    static let sessionIdleSeconds: Double = 1800

    /// The `Host` values the proxy answers to: its listen address, loopback names for a loopback
    /// one, and the public URL's authority.
    static func allowedHosts(_ listen: ListenAddress, port: Int, origin: String) -> Set<String> {
        var hosts: Set<String> = [listen.authority(port: port).lowercased(), "localhost:\(port)"]
        if listen.isLoopback { hosts.formUnion(["127.0.0.1:\(port)", "[::1]:\(port)"]) }
        let authority = String(origin.drop { $0 != "/" }.dropFirst(2)).lowercased()
        if authority.contains(":") {
            hosts.insert(authority)
        } else {
            hosts.formUnion([authority, authority + (origin.hasPrefix("https:") ? ":443" : ":80")])
        }
        return hosts
    }

    /// The path the proxy serves for an upstream address: the upstream's own.
    public static func servedPath(upstream: String) -> String { RemoteURL(unchecked: upstream).path }

    /// Binds, reports the port, and serves each connection (a `ProxyConnection` in its pipeline)
    /// until cancelled; then every connection is closed.
    private static func serve(
        _ listen: ListenAddress, mailbox: Mailbox<Event>,
        context makeContext: (Int) -> ProxyContext
    ) async throws {
        let contextBox = ContextBox()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: listen.host, port: listen.port) { channel in
                channel.eventLoop.makeCompletedFuture { () -> Channel in
                    guard let context = contextBox.context else { throw ChannelError.ioOnClosedChannel }
                    // Pipelined requests are held back by `ProxyConnection` itself (see there).
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withPipeliningAssistance: false, withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(ProxyConnection(context: context))
                    return channel
                }
            }
        let port = server.channel.localAddress?.port ?? listen.port
        contextBox.context = makeContext(port)
        mailbox.post(.listening(port: port))
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { inbound in
                for try await channel in inbound {
                    group.addTask {
                        await withTaskCancellationHandler {
                            try? await channel.closeFuture.get()
                        } onCancel: {
                            channel.close(promise: nil)
                        }
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// The context, known once the port is: set before the first connection is served.
    private final class ContextBox: @unchecked Sendable {
        private let monitor = Monitor()
        private var value: ProxyContext?
        var context: ProxyContext? {
            get { monitor.locked { value } }
            set { monitor.locked { value = newValue } }
        }
    }
}
