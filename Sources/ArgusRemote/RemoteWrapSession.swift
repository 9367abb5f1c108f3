import ArgusCore
import ArgusProxy
import ArgusSystem
import ArgusStore
import AsyncHTTPClient
import CArgusSystem
import Foundation
import NIOCore
import NIOSSL

#if canImport(Glibc)
import Glibc
#endif

/// What `argus wrap --url` was asked to do: the stdio options of `argus wrap` (database,
/// redaction, scripts, sealing…) and the remote server's address and headers.
public struct RemoteWrapOptions: Sendable {
    public var wrap: WrapOptions
    public var url: String
    public var headers: [HeaderTemplate]

    public init(url: String, headers: [HeaderTemplate], wrap: WrapOptions) {
        self.url = url
        self.headers = headers
        self.wrap = wrap
    }
}

/// `argus wrap --url URL`: a stdio MCP server whose far side is a remote Streamable HTTP
/// server. Each line the client writes is POSTed as it is; each message the server sends
/// (a JSON body, an SSE event, the GET stream) becomes one line on stdout. The recording is
/// the stdio one: the same recorder gets the same bytes the client and the server exchanged,
/// plus `argus/transport` frames for what HTTP itself did.
public enum RemoteWrapSession {
    enum Event {
        case clientClosed
        case clientGone
        case finished
        case signal(Int32)
    }

    /// Runs the session to its end and returns the exit status. Call on the main thread,
    /// before any other thread exists (termination signals are received by a thread of ours).
    public static func run(_ options: RemoteWrapOptions) -> Int32 {
        argus_block_termination_signals()
        let wrap = options.wrap
        let environment = ProcessInfo.processInfo.environment
        var target = RemoteURL(unchecked: options.url)
        var headers: [(String, String)] = []
        var problem: String?
        do throws(RemoteError) {
            target = try RemoteURL(options.url)
            for header in options.headers { headers.append((header.name, try header.expanded(environment))) }
        } catch {
            problem = error.description
        }
        problem = problem ?? wrap.startRefusal

        // A header's value is a credential more often than not: it never reaches a recording.
        let policy = RemoteRecordingSetup.policy(wrap, environment: environment, secrets: headers.map { (name: $0.0, value: $0.1) })
        let recording = wrap.recordingError == nil
        let launch = RemoteRecordingSetup.launch(target, headers: options.headers)
        var config = RecorderConfig(
            serverName: wrap.serverName ?? defaultServerName(url: options.url), launch: launch,
            idleTimeoutSeconds: wrap.idleTimeoutSeconds, redaction: policy, argusPID: getpid())
        config.sealer = recording ? wrap.sealer : nil
        config.recordingError = wrap.recordingError
        let faultSeed = wrap.faults?.resolvedSeed()
        if let faults = wrap.faults, let faultSeed {
            config.runKind = RunRecord.chaosKind
            StderrLog.write(faults.banner(seed: faultSeed))
        }
        let pipeline = wrap.recordingPipeline(config)
        func flushTimeout() -> Double {
            ArgusDatabase.unwritableReason(path: wrap.databasePath) == nil ? wrap.flushTimeoutSeconds : 0
        }
        pipeline.start(serverPID: nil)

        let client: HTTPClient
        do throws(RemoteError) {
            if let problem { throw .badURL(problem) }
            client = HTTPClient(
                eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                configuration: try Self.clientConfiguration(for: target, environment: environment))
        } catch {
            StderrLog.write("argus: cannot connect to the remote MCP server: \(error)")
            pipeline.finish(reason: .serverFailedToStart, detail: error.description, exitStatus: 1, timeoutSeconds: flushTimeout())
            wrap.onFinish?()
            return 1
        }

        let mailbox = Mailbox<Event>()
        let output = ClientOutput(pipeline: pipeline, recording: recording) { mailbox.post(.clientGone) }
        let connection = StreamableHTTPConnection(client: client, url: target.text, headers: headers, output: output)
        let (lines, input) = AsyncStream<[UInt8]>.makeStream()
        _ = argus_set_pipe_size(0, 1 << 20)
        _ = argus_set_pipe_size(1, 1 << 20)

        // Each line the client writes is POSTed without its line end; blank lines are not messages.
        let post: @Sendable (UnsafeRawBufferPointer) -> Void = { line in
            let body = line.last == 0x0A ? UnsafeRawBufferPointer(rebasing: line.dropLast()) : line
            if body.contains(where: { $0 != 0x20 && $0 != 0x0D && $0 != 0x09 }) { input.yield(Array(body)) }
        }
        // With faults, whole lines go through the injector, which records each one and posts it,
        // or answers, delays or drops it in the server's place (as on the stdio relay).
        var injector: FaultInjector?
        if let faults = wrap.faults, let faultSeed {
            let faultInjector = FaultInjector(
                options: .init(faults, seed: faultSeed, serverName: config.serverName),
                pipeline: recording ? pipeline : nil, output: output
            ) { line in
                post(line)
                return true
            }
            output.passServerMessages(through: faultInjector)
            injector = faultInjector
        }

        // Trace context injection (opt-in) changes lines: each is then recorded as it is sent.
        let rewrite = wrap.rewriteClientLine
        OSThread(name: "argus-c2s") { [injector] in
            var pending: [UInt8] = []
            func send(_ line: UnsafeRawBufferPointer, at time: Timestamp) {
                if let injector { injector.clientLine(line, at: time) } else { post(line) }
            }
            func deliver(_ line: UnsafeRawBufferPointer, at time: Timestamp) {
                guard let rewrite else { return send(line, at: time) }
                let new = RewritingRelay.rewritten(line, rewrite)
                func sendRecorded(_ line: UnsafeRawBufferPointer) {
                    if injector == nil, recording { pipeline.record(.clientToServer, line, at: time) }
                    send(line, at: time)
                }
                if let new { new.withUnsafeBytes(sendRecorded) } else { sendRecorded(line) }
            }
            readUntilEOF(0) { bytes, time in
                if injector == nil, rewrite == nil, recording { pipeline.record(.clientToServer, bytes, at: time) }
                var start = bytes.startIndex
                for index in bytes.indices where bytes[index] == 0x0A {
                    if pending.isEmpty {
                        deliver(UnsafeRawBufferPointer(rebasing: bytes[start...index]), at: time)
                    } else {
                        pending.append(contentsOf: bytes[start...index])
                        pending.withUnsafeBytes { deliver($0, at: time) }
                        pending.removeAll(keepingCapacity: true)
                    }
                    start = index + 1
                }
                pending.append(contentsOf: bytes[start...])
            }
            if !pending.isEmpty { pending.withUnsafeBytes { deliver($0, at: SystemClock.now()) } }
            input.finish()
            mailbox.post(.clientClosed)
        }
        OSThread(name: "argus-signals") {
            while true { mailbox.post(.signal(argus_wait_signal())) }
        }
        let sender = Task {
            await withTaskGroup(of: Void.self) { group in
                for await line in lines {
                    let message = OutgoingMessage(body: line)
                    // The session id comes with initialize's answer: nothing else goes out before it.
                    if message.isInitialize { await connection.send(message) } else { group.addTask { await connection.send(message) } }
                }
            }
        }
        Task {
            await sender.value
            // Not a child of the sender: a cancelled sender must still end the session with DELETE.
            await connection.close()
            try? await client.shutdown()
            mailbox.post(.finished)
        }

        // On EOF, answers still on their way get the grace period; a signal or a client that is
        // gone ends the session at once.
        let grace = UInt64(wrap.graceSeconds * 1e9)
        var reason: EndReason?
        var signal: Int32?
        var cancelAt: UInt64?
        var giveUpAt: UInt64?
        loop: while true {
            let deadline = [cancelAt, giveUpAt].compactMap { $0 }.min()
            for event in mailbox.wait(untilMonotonicNanos: deadline) {
                let now = SystemClock.monotonicNanos()
                switch event {
                case .clientClosed:
                    if reason == nil { reason = .clientEOF }
                    if cancelAt == nil { cancelAt = now + grace }
                case .clientGone, .signal:
                    if case .signal(let number) = event { signal = number }
                    if reason == nil { reason = signal != nil ? .signal : .clientGone }
                    input.finish()
                    sender.cancel()
                    if giveUpAt == nil { giveUpAt = now + 10_000_000_000 }
                case .finished:
                    break loop
                }
            }
            let now = SystemClock.monotonicNanos()
            if let at = cancelAt, now >= at {
                cancelAt = nil
                sender.cancel()
                if giveUpAt == nil { giveUpAt = now + 10_000_000_000 }
            }
            if let at = giveUpAt, now >= at { break }
        }
        let status: Int32 = signal.map { 128 + $0 } ?? 0
        injector?.serverClosed()  // answers a latency fault still holds go out, and are recorded, now
        let stats = pipeline.finish(
            reason: reason ?? .clientEOF, detail: signal.map { "signal \($0)" }, exitStatus: status,
            timeoutSeconds: flushTimeout())
        if stats.opsAbandoned > 0 {
            StderrLog.write("argus: \(stats.opsAbandoned) records could not be written to \(wrap.databasePath)")
        }
        wrap.onFinish?()
        return status
    }

    /// The remote server's host and port (the scheme's when the URL names none), for the
    /// `server.address` and `server.port` of exported spans.
    public static func serverAddress(url: String) -> (host: String, port: Int) {
        let target = RemoteURL(unchecked: url)
        return (target.host, target.port ?? (target.isHTTPS ? 443 : 80))
    }

    /// The name recordings give a remote server by default: its host.
    public static func defaultServerName(url: String) -> String {
        let host = RemoteURL(unchecked: url).host
        return host.isEmpty ? "remote" : host
    }

    /// Reads a descriptor until end of file (or an error), handing each chunk to `body`.
    static func readUntilEOF(_ descriptor: Int32, _ body: (UnsafeRawBufferPointer, Timestamp) -> Void) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Relay.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count < 0, errno == EINTR { continue }
            if count <= 0 { return }
            body(UnsafeRawBufferPointer(rebasing: buffer[..<count]), SystemClock.now())
        }
    }

    /// TLS with the system's trust store, or `SSL_CERT_FILE`'s certificates; an HTTP(S) proxy
    /// from the environment; at most 5 redirects and never a loop.
    static func clientConfiguration(for target: RemoteURL, environment: [String: String]) throws(RemoteError)
        -> HTTPClient.Configuration
    {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(10)
        configuration.redirectConfiguration = .follow(max: 5, allowCycles: false)
        if let file = environment["SSL_CERT_FILE"], !file.isEmpty {
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw .badTLS("SSL_CERT_FILE names \(file), which cannot be read")
            }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(file)
            configuration.tlsConfiguration = tls
        }
        configuration.proxy = try ProxySetting.fromEnvironment(environment, for: target)
        return configuration
    }
}
