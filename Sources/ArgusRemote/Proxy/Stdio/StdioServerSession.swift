import ArgusCore
import ArgusProxy
import ArgusSystem

#if canImport(Glibc)
import Glibc
#endif

/// One stdio MCP server that `argus proxy -- command` started for an HTTP session: the
/// messages of the session's POSTs are written to its stdin, one line each, and each line it
/// writes to stdout goes to the HTTP stream waiting for it. An answer goes to the POST whose
/// request it answers; anything else (notifications, the server's own requests) to the
/// newest POST stream still open, else to the GET stream, else it waits there for one.
/// Recorded exactly as `argus wrap` records a stdio server: the lines written and read, its
/// stderr, its pid. With `--faults`, the lines go through a `FaultInjector`, as on `argus wrap`'s relay.
final class StdioServerSession: @unchecked Sendable {
    /// The `Mcp-Session-Id` (nil: the server shared by messages outside any session).
    let id: String?
    let recording: SessionRecording
    private let child: ChildProcess
    private let monitor = Monitor()
    private var streams: [Int: Waiting] = [:]
    private var opened: [Int] = []
    private var nextStream = 0
    /// Request id (as JSON text) → the stream its answer goes to.
    private var owners: [String: Int] = [:]
    private var listener: AsyncStream<[UInt8]>.Continuation?
    private var backlog: [[UInt8]] = []
    private var exitStatus: ExitStatus?
    private(set) var isClosed = false
    private let onClosed: @Sendable (StdioServerSession) -> Void
    /// With `--faults`: what the client sends and the server answers goes through it.
    private var injector: FaultInjector?
    /// The injector takes the client's lines one at a time, as from one relay thread.
    private let clientOrder = Monitor()

    private struct Waiting {
        let continuation: AsyncStream<[UInt8]>.Continuation
        var ids: Set<String>
    }

    /// Messages kept for a GET stream that is not open yet.
    static let backlogLimit = 1000

    init(id: String?, child: ChildProcess, recording: SessionRecording, onClosed: @escaping @Sendable (StdioServerSession) -> Void) {
        self.id = id
        self.child = child
        self.recording = recording
        self.onClosed = onClosed
        if let judge = recording.faults {
            injector = FaultInjector(judge: judge, pipeline: recording, output: FaultOutput(self)) { [child] line in
                line.baseAddress.map { Relay.writeAll(child.stdinFD, $0, line.count) } ?? true
            }
        }
        OSThread(name: "argus-s2c") { [self] in readOutput() }
        OSThread(name: "argus-stderr") {
            _ = Relay.run(from: child.stderrFD, to: 2) { bytes, time in recording.serverStderr(bytes, at: time) }
        }
        OSThread(name: "argus-wait") { [self] in
            let status = child.waitForExit()
            monitor.locked {
                exitStatus = status
                monitor.broadcast()
            }
        }
    }

    /// Writes the client's messages (each one line) to the server. With request ids, returns the
    /// stream of what the server sends until each has its answer; nil when the server is gone.
    /// An id still waiting for its answer (two clients without sessions using the same one) is
    /// sent once the earlier answer has come, so answers never cross.
    func send(_ lines: [[UInt8]], answering ids: [String]) async -> AsyncStream<[UInt8]>? {
        var stream: AsyncStream<[UInt8]>?
        for _ in 0..<30_000 {
            let registered = monitor.locked { () -> (Bool, AsyncStream<[UInt8]>?) in
                if isClosed { return (true, nil) }
                if ids.isEmpty { return (true, nil) }
                if ids.contains(where: { owners[$0] != nil }) { return (false, nil) }
                let (made, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .unbounded)
                let number = nextStream
                nextStream += 1
                streams[number] = Waiting(continuation: continuation, ids: Set(ids))
                opened.append(number)
                for id in ids { owners[id] = number }
                continuation.onTermination = { [weak self] _ in self?.dropStream(number) }
                return (true, made)
            }
            if registered.0 {
                stream = registered.1
                break
            }
            try? await Task.sleep(for: .milliseconds(1))
        }
        if monitor.locked({ isClosed }) { return nil }
        if let injector {
            clientOrder.locked {
                for line in lines { (line + [0x0A]).withUnsafeBytes { injector.clientLine($0, at: SystemClock.now()) } }
            }
            return stream
        }
        for line in lines {
            recording.clientSent(line)
            let written = (line + [0x0A]).withUnsafeBytes { bytes in
                bytes.baseAddress.map { Relay.writeAll(child.stdinFD, $0, bytes.count) } ?? true
            }
            if !written { break }  // the server is gone: the end of its output answers what is waiting
        }
        return stream
    }

    /// The GET stream: the server's messages that answer no open POST. Nil when one is open already.
    func listen() -> AsyncStream<[UInt8]>? {
        monitor.locked {
            guard listener == nil, !isClosed else { return nil }
            let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .unbounded)
            for message in backlog { continuation.yield(message) }
            backlog.removeAll()
            listener = continuation
            continuation.onTermination = { [weak self] _ in self?.monitor.locked { self?.listener = nil } }
            return stream
        }
    }

    private func dropStream(_ number: Int) {
        monitor.locked {
            guard let waiting = streams.removeValue(forKey: number) else { return }
            opened.removeAll { $0 == number }
            for id in waiting.ids where owners[id] == number { owners[id] = nil }
        }
    }

    // MARK: the server's output

    private func readOutput() {
        var pending: [UInt8] = []
        RemoteWrapSession.readUntilEOF(child.stdoutFD) { bytes, _ in
            var start = bytes.startIndex
            for index in bytes.indices where bytes[index] == 0x0A {
                pending.append(contentsOf: bytes[start..<index])
                fromServer(pending)
                pending.removeAll(keepingCapacity: true)
                start = index + 1
            }
            pending.append(contentsOf: bytes[start...])
        }
        if !pending.isEmpty { fromServer(pending) }
        injector?.serverClosed()  // answers a latency fault still holds go out, and are recorded, now
        serverClosed()
    }

    private func fromServer(_ line: [UInt8]) {
        guard let injector else { return route(line) }
        (line + [0x0A]).withUnsafeBytes { injector.serverLine($0, at: SystemClock.now()) }
    }

    /// Recorded first, then delivered: the client cannot answer a server's request before it is recorded.
    /// `fault`: the line is argus's, in the server's place, recorded with that fault.
    fileprivate func route(_ line: [UInt8], fault: InjectedFault? = nil) {
        var body = line
        while body.last == 0x0A || body.last == 0x0D { body.removeLast() }
        guard body.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return }
        if let fault { recording.recordFault(fault, answer: body, at: SystemClock.now()) } else { recording.serverSent(body) }
        let value = try? JSONParser.parse(body)
        let answered = (value?.arrayValue ?? value.map { [$0] } ?? [])
            .filter { $0["method"] == nil }.compactMap { $0["id"].map { JSONWriter.string($0) } }
        // Decided under the lock, delivered after it: finishing a stream runs its termination
        // handler at once, and that takes the lock too.
        let (target, finished) = monitor.locked { () -> (AsyncStream<[UInt8]>.Continuation?, Bool) in
            if let first = answered.first, let number = owners[first], var waiting = streams[number] {
                for id in answered where owners[id] == number {
                    owners[id] = nil
                    waiting.ids.remove(id)
                }
                if waiting.ids.isEmpty {
                    streams[number] = nil
                    opened.removeAll { $0 == number }
                } else {
                    streams[number] = waiting
                }
                return (waiting.continuation, waiting.ids.isEmpty)
            }
            if let newest = opened.last, let waiting = streams[newest] { return (waiting.continuation, false) }
            if let listener { return (listener, false) }
            if backlog.count >= Self.backlogLimit { backlog.removeFirst() }
            backlog.append(body)
            return (nil, false)
        }
        target?.yield(body)
        if finished { target?.finish() }
    }

    /// The server closed its output (it exited, or is about to): what is still waiting for an
    /// answer gets a JSON-RPC error saying so, and the session is over.
    private func serverClosed() {
        let (waiting, stream) = monitor.locked { () -> ([Waiting], AsyncStream<[UInt8]>.Continuation?) in
            isClosed = true
            defer {
                streams.removeAll()
                opened.removeAll()
                owners.removeAll()
                listener = nil
            }
            return (Array(streams.values), listener)
        }
        stream?.finish()
        for stream in waiting {
            for id in stream.ids.sorted() {
                let answer = ProxyAnswer.jsonRPCError(
                    id: id, "argus proxy: the MCP server's output closed (it exited) before it answered",
                    data: ["transport": "stdio"])
                recording.serverSent(answer)
                stream.continuation.yield(answer)
            }
            stream.continuation.finish()
        }
        onClosed(self)
    }

    // MARK: ending

    /// Ends the server as `argus wrap` does when its client leaves: stdin closed, then SIGTERM
    /// and SIGKILL to its process group after `graceSeconds` each; then the run. Blocks.
    func end(reason: EndReason, detail: String, graceSeconds: Double) {
        close(child.stdinFD)
        var status = waitForExit(seconds: graceSeconds)
        if status == nil {
            child.signalGroup(SIGTERM)
            status = waitForExit(seconds: graceSeconds)
        }
        if status == nil {
            child.signalGroup(SIGKILL)
            status = waitForExit(seconds: 5)
        }
        child.reapGroup()
        recording.finish(
            reason: reason, detail: detail + (status.map { "; the server \($0.description)" } ?? ""),
            exitStatus: status?.shellStatus)
    }

    private func waitForExit(seconds: Double) -> ExitStatus? {
        let deadline = SystemClock.monotonicNanos() + UInt64(seconds * 1e9)
        return monitor.locked {
            while exitStatus == nil, SystemClock.monotonicNanos() < deadline { _ = monitor.wait(untilMonotonicNanos: deadline) }
            return exitStatus
        }
    }
}

/// The client side of a stdio server's faults: lines reach the HTTP streams through the
/// session's routing. Holds the session weakly (the session holds the injector that holds this).
private final class FaultOutput: FaultClientOutput, @unchecked Sendable {
    private weak var session: StdioServerSession?

    init(_ session: StdioServerSession) {
        self.session = session
    }

    func serverLine(_ bytes: UnsafeRawBufferPointer, at time: Timestamp) {
        session?.route(Array(bytes))
    }

    func injected(_ line: [UInt8], fault: InjectedFault) {
        session?.route(line, fault: fault)
    }

    func serverClosed() {}
}
