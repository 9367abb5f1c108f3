import ArgusCore
import ArgusProxy
import ArgusSystem
import Foundation

/// The server side of the benchmarks: answers each request at once with its
/// params as the result (an echo), so the server adds as little as possible.
enum EchoServer {
    static func run(greeting: Bool) {
        if greeting { writeAll(1, Array("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/hello\"}\n".utf8)) }
        var framer = LineFramer(maxLineBytes: 1 << 30)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = read(0, &buffer, buffer.count)
            if n <= 0 { exit(0) }
            var replies: [UInt8] = []
            buffer.withUnsafeBytes { raw in
                framer.push(UnsafeRawBufferPointer(rebasing: raw[0..<n])) { line in
                    guard let request = try? JSONParser.parse(line.bytes), let id = request["id"] else { return }
                    let reply: JSONValue = ["jsonrpc": "2.0", "id": id, "result": request["params"] ?? [:]]
                    replies += JSONWriter.bytes(reply)
                    replies.append(0x0A)
                }
            }
            if !replies.isEmpty { writeAll(1, replies) }
        }
    }
}

func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n <= 0 { return }
        offset += n
    }
}

/// A peer process with raw pipe ends, for timing without Foundation buffering.
final class Peer {
    let process = Process()
    let input: Int32
    let output: Int32
    private var pending: [UInt8] = []

    init(_ command: [String], quietStderr: Bool = true) throws {
        let stdinPipe = Pipe(), stdoutPipe = Pipe()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        if quietStderr { process.standardError = FileHandle(forWritingAtPath: "/dev/null") }
        try process.run()
        input = stdinPipe.fileHandleForWriting.fileDescriptor
        output = stdoutPipe.fileHandleForReading.fileDescriptor
        self.pipes = (stdinPipe, stdoutPipe)
    }
    private let pipes: (stdin: Pipe, stdout: Pipe)

    func send(_ bytes: [UInt8]) { writeAll(input, bytes) }

    private var chunk = [UInt8](repeating: 0, count: 1 << 20)

    /// Reads one line (blocking) and returns its length, or -1 at EOF.
    func readLine() -> Int {
        var searchFrom = 0
        while true {
            if let newline = pending[searchFrom...].firstIndex(of: 0x0A) {
                pending.removeSubrange(...newline)
                return newline
            }
            searchFrom = pending.count
            let n = read(output, &chunk, chunk.count)
            if n <= 0 { return -1 }
            pending.append(contentsOf: chunk[0..<n])
        }
    }

    func close() {
        try? pipes.stdin.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}

extension Array where Element == Double {
    func percentile(_ p: Double) -> Double {
        guard !isEmpty else { return .nan }
        let sorted = self.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[Swift.min(Swift.max(rank, 1), sorted.count) - 1]
    }
    var median: Double { percentile(0.5) }
}

func fmt(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

func binDirectory() -> String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: exe).deletingLastPathComponent().path
}

func temporaryDatabase() -> String {
    let dir = NSTemporaryDirectory() + "argus-bench-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir + "/bench.db"
}

/// The floor for any proxy: the same relay threads as `argus wrap`, without
/// recording. `argus-bench relay -- command…`
enum BareRelay {
    static func run(_ command: [String]) -> Never {
        guard let child = try? ChildProcess.spawn(command: command[0], arguments: Array(command.dropFirst())) else { exit(127) }
        OSThread(name: "relay-c2s") {
            _ = Relay.run(from: 0, to: child.stdinFD) { _, _ in }
            close(child.stdinFD)
        }
        OSThread(name: "relay-s2c") { _ = Relay.run(from: child.stdoutFD, to: 1) { _, _ in } }
        exit(child.waitForExit().shellStatus)
    }
}
