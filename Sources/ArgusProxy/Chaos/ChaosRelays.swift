import ArgusCore
import ArgusSystem

#if canImport(Glibc)
import Glibc
#endif

/// The two relay threads of a session with faults: line by line instead of chunk by chunk, so
/// a request can be answered in the server's place and an answer delayed or cut. Only a
/// session with faults takes this path; `argus wrap` without them keeps the plain `Relay`.
enum ChaosRelays {
    static func start(
        _ faults: FaultOptions, seed: UInt64, serverName: String, child: ChildProcess,
        pipeline: RecordingPipeline?, rewrite: (@Sendable ([UInt8]) -> [UInt8]?)?,
        serverOutput: OutputWatch, mailbox: Mailbox<WrapSession.Event>
    ) {
        let output = ClientOutput(pipeline: pipeline, onBroken: { mailbox.post(.clientGone) })
        let injector = FaultInjector(options: .init(faults, seed: seed, serverName: serverName), pipeline: pipeline, output: output) {
            guard let base = $0.baseAddress else { return true }
            return Relay.writeAll(child.stdinFD, base, $0.count)
        }
        OSThread(name: "argus-c2s") {
            _ = LineRelay.run(
                from: 0,
                line: { line, time in
                    // Trace context is injected (opt-in) before the faults see the request.
                    if let rewrite, let new = RewritingRelay.rewritten(line, rewrite) {
                        new.withUnsafeBytes { injector.clientLine($0, at: time) }
                    } else {
                        injector.clientLine(line, at: time)
                    }
                },
                piece: { bytes, time, _ in injector.clientPiece(bytes, at: time) })
            mailbox.post(.clientClosed)
            close(child.stdinFD)
        }
        OSThread(name: "argus-s2c") {
            _ = LineRelay.run(
                from: child.stdoutFD,
                line: { bytes, time in
                    serverOutput.sawStdout()
                    injector.serverLine(bytes, at: time)
                },
                piece: { bytes, time, endsLine in
                    serverOutput.sawStdout()
                    output.serverPiece(bytes, at: time, endsLine: endsLine)
                })
            injector.serverClosed()
            mailbox.post(.serverOutputClosed)
        }
    }
}
