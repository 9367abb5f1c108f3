import ArgusCore
import ArgusSystem

/// The faults of one `argus wrap --faults` session, applied on the relay path (the stdio
/// relay's, or `argus wrap --url`'s), or of one stdio server's session behind `argus proxy --faults`.
///
/// The thread reading the client hands over each whole line: a `tools/call` request is parsed,
/// the plan's rules and the scripts' `fault` hooks decide, and the request is recorded as the
/// client sent it, then forwarded, or answered in the server's place (`error`, `is_error`,
/// `empty`, `stale`, a script's answer), or left unanswered (`timeout`). For the faults that let
/// the server answer (`latency`, `malformed`) the request's id is watched, and the thread
/// reading the server delays or cuts that answer. Every fault is recorded with its request.
public final class FaultInjector: @unchecked Sendable {
    public struct Options: Sendable {
        var plan: FaultPlan
        var seed: UInt64
        var serverName: String
        var makeHooks: (@Sendable () -> FaultHooks?)?

        public init(_ faults: FaultOptions, seed: UInt64, serverName: String) {
            plan = faults.plan
            self.seed = seed
            self.serverName = serverName
            makeHooks = faults.makeHooks
        }
    }

    /// What to do with the server's answer to a watched request.
    private struct Watch {
        var delayMillis = 0.0
        /// A `malformed` fault: the answer is cut, and recorded with this fault.
        var spoil: InjectedFault?
        /// Keep a successful answer for later `stale` faults, under this key.
        var rememberAs: String?
    }

    let output: any FaultClientOutput
    private let held: HeldAnswers
    private let pipeline: (any FaultRecording)?
    /// Sends a line to the server; false once the server can no longer be written to.
    private let sendToServer: (UnsafeRawBufferPointer) -> Bool
    private let judge: FaultJudge

    // The client-reading thread's own.
    private var serverInputOK = true

    // Shared by both relay threads.
    private let monitor = Monitor()
    private var watched: [String: Watch] = [:]

    /// - Parameters:
    ///   - sendToServer: called on the client-reading thread only.
    ///   - pipeline: nil when the session is not recorded.
    public convenience init(
        options: Options, pipeline: (any FaultRecording)?, output: any FaultClientOutput,
        sendToServer: @escaping (UnsafeRawBufferPointer) -> Bool
    ) {
        self.init(judge: FaultJudge(options: options), pipeline: pipeline, output: output, sendToServer: sendToServer)
    }

    public init(
        judge: FaultJudge, pipeline: (any FaultRecording)?, output: any FaultClientOutput,
        sendToServer: @escaping (UnsafeRawBufferPointer) -> Bool
    ) {
        self.judge = judge
        self.sendToServer = sendToServer
        self.pipeline = pipeline
        self.output = output
        held = HeldAnswers(output: output)
    }

    // MARK: client → server

    /// A whole line from the client.
    public func clientLine(_ bytes: UnsafeRawBufferPointer, at time: Timestamp) {
        guard let call = ToolCallLine(bytes) else {
            pipeline?.record(.clientToServer, bytes, at: time)
            forward(bytes)
            return
        }
        let ruling = judge.rule(on: call, bytes, at: time)
        pipeline?.record(.clientToServer, bytes, at: time)
        guard let decision = ruling.decision, let fault = ruling.fault else {
            if let remember = ruling.rememberAs { watch(call.idText, Watch(rememberAs: remember)) }
            forward(bytes)
            return
        }
        if !ruling.forwardsRequest {
            if let line = ruling.answer {
                if decision.delayMillis > 0 {
                    held.hold(line, millis: decision.delayMillis, fault: fault)
                } else {
                    output.injected(line, fault: fault)
                }
            } else {
                pipeline?.recordFault(fault, answer: nil, at: time)  // a timeout: no answer at all
            }
            return
        }
        // The server answers; its answer is delayed or spoilt on its way back. Watched before it is
        // forwarded: the server may answer at once.
        let spoils = ruling.spoilsAnswer
        watch(call.idText, Watch(delayMillis: decision.delayMillis, spoil: spoils ? fault : nil, rememberAs: ruling.rememberAs))
        if !spoils { pipeline?.recordFault(fault, answer: nil, at: time) }
        forward(bytes)
    }

    /// Part of a client line too long to examine: passed on as it is.
    func clientPiece(_ bytes: UnsafeRawBufferPointer, at time: Timestamp) {
        pipeline?.record(.clientToServer, bytes, at: time)
        forward(bytes)
    }

    private func watch(_ id: String, _ watch: Watch) {
        monitor.locked { watched[id] = watch }
    }

    private func forward(_ bytes: UnsafeRawBufferPointer) {
        guard serverInputOK else { return }
        serverInputOK = sendToServer(bytes)
    }

    // MARK: server → client

    /// A whole line from the server.
    public func serverLine(_ bytes: UnsafeRawBufferPointer, at time: Timestamp) {
        guard monitor.locked({ !watched.isEmpty }), let response = ResponseLine(bytes),
            let watch = monitor.locked({ watched.removeValue(forKey: response.idText) })
        else {
            output.serverLine(bytes, at: time)
            return
        }
        if let key = watch.rememberAs, let result = response.successfulResult { judge.remember(result, as: key) }
        if var fault = watch.spoil {
            fault.spoiltResponse = true
            let cut = FaultAnswer.truncated(ArraySlice(bytes))
            if watch.delayMillis > 0 {
                held.hold(cut, millis: watch.delayMillis, fault: fault)
            } else {
                output.injected(cut, fault: fault)
            }
        } else if watch.delayMillis > 0 {
            held.hold(Array(bytes), millis: watch.delayMillis, fault: nil)
        } else {
            output.serverLine(bytes, at: time)
        }
    }

    /// The server's output ended: what is still held goes out now.
    public func serverClosed() {
        output.serverClosed()
        held.releaseAll()
    }
}
