import ArgusCore
import ArgusStore
import Foundation

/// Where the built `argus` and `argus-test-server` are: next to this test
/// binary (SwiftPM puts products together), or `$ARGUS_BIN_DIR`.
enum Binaries {
    static let directory: String = {
        if let dir = ProcessInfo.processInfo.environment["ARGUS_BIN_DIR"] { return dir }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().path
    }()
    static var argus: String { directory + "/argus" }
    static var testServer: String { directory + "/argus-test-server" }
}

func temporaryDirectory(_ label: String = "it") -> String {
    let path = NSTemporaryDirectory() + "argus-\(label)-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A child process with piped stdio, read by background threads.
///
/// Every wait is for an event (a line, an exit, a stderr message), bounded by a timeout.
/// The timeouts are bounds, not expectations: generous, so that a machine busy with other
/// work (the recorder runs at nice +10 and debug builds are slow) still passes; a real
/// failure only takes longer to report.
final class Spawned: @unchecked Sendable {
    let process = Process()
    private let stdinPipe = Pipe()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    private let condition = NSCondition()
    private var out: [UInt8] = []
    private var err: [UInt8] = []
    private var outClosed = false
    private var errClosed = false
    private var readOffset = 0
    private var scanOffset = 0  // where the search for the next newline resumes

    init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, cwd: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = environment
        if executable == Binaries.argus && environment?["ARGUS_HOME"] == nil {
            // Every argus a test starts keeps its state (the replay key above all) out of the user's ~/.argus.
            environment = (environment ?? ProcessInfo.processInfo.environment).merging(["ARGUS_HOME": temporaryDirectory("home")]) { $1 }
        }
        if let environment { process.environment = environment }
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        try process.run()
        startReader(stdoutPipe.fileHandleForReading, isStdout: true)
        startReader(stderrPipe.fileHandleForReading, isStdout: false)
    }

    private func startReader(_ handle: FileHandle, isStdout: Bool) {
        let fd = handle.fileDescriptor
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                condition.lock()
                if n <= 0 {
                    if isStdout { outClosed = true } else { errClosed = true }
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                if isStdout { out.append(contentsOf: buffer[0..<n]) } else { err.append(contentsOf: buffer[0..<n]) }
                condition.broadcast()
                condition.unlock()
            }
        }
    }

    var pid: Int32 { process.processIdentifier }

    func send(_ line: String) { write(Array((line + "\n").utf8)) }
    func send(_ value: JSONValue) { send(JSONWriter.string(value)) }

    func write(_ bytes: [UInt8]) {
        let fd = stdinPipe.fileHandleForWriting.fileDescriptor
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            offset += n
        }
    }

    func closeInput() { try? stdinPipe.fileHandleForWriting.close() }

    /// The next stdout line, or nil at EOF or timeout.
    func readLine(timeout: Double = 60) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let newline = out[max(readOffset, scanOffset)...].firstIndex(of: 0x0A) {
                let line = String(decoding: out[readOffset..<newline], as: UTF8.self)
                readOffset = newline + 1
                scanOffset = readOffset
                return line
            }
            scanOffset = out.count
            if outClosed || !condition.wait(until: deadline) { return nil }
        }
    }

    /// The next stdout message that answers `id` (skipping notifications and server requests).
    func response(to id: JSONValue, timeout: Double = 60) -> JSONValue? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, let line = readLine(timeout: deadline.timeIntervalSinceNow) {
            if let message = try? JSONParser.parse(line), message["id"] == id, message["method"] == nil { return message }
        }
        return nil
    }

    /// Everything on stdout until EOF.
    func readToEnd(timeout: Double = 120) -> [UInt8] {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while !outClosed && condition.wait(until: deadline) {}
        return Array(out[readOffset...])
    }

    /// Stderr so far; once the process has exited, all of it: the exit can be seen before the
    /// reader thread has the pipe's last bytes, so this waits (briefly: a grandchild may hold
    /// the pipe open) for the end of the pipe.
    var stderrText: String {
        let exited = !process.isRunning
        let deadline = Date().addingTimeInterval(10)
        condition.lock()
        defer { condition.unlock() }
        while exited && !errClosed && condition.wait(until: deadline) {}
        return String(decoding: err, as: UTF8.self)
    }

    /// All of stderr, once the process has closed it: right after exit, the reader thread may still be collecting it.
    func stderrToEnd(timeout: Double = 120) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while !errClosed && condition.wait(until: deadline) {}
        return String(decoding: err, as: UTF8.self)
    }

    func waitForStderr(containing text: String, timeout: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if String(decoding: err, as: UTF8.self).contains(text) { return true }
            if errClosed || !condition.wait(until: deadline) { return false }
        }
    }

    /// Waits for exit; nil on timeout (the process is then killed).
    func waitForExit(timeout: Double = 120) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        // Foundation reports "killed by signal N" as terminationReason .uncaughtSignal with status N.
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    func signal(_ sig: Int32) { kill(pid, sig) }
}

/// `argus wrap` around a server, with a database in a fresh directory.
final class WrapSessionHarness: @unchecked Sendable {
    let directory: String
    let database: String
    let argusHome: String
    let proxy: Spawned

    init(server: [String], options: [String] = [], environment: [String: String]? = nil, database: String? = nil) throws {
        directory = temporaryDirectory("wrap")
        self.database = database ?? directory + "/argus.db"
        // Keys and other state go to the test's directory, never the user's ~/.argus.
        var environment = environment ?? ProcessInfo.processInfo.environment
        if environment["ARGUS_HOME"] == nil { environment["ARGUS_HOME"] = directory + "/home" }
        argusHome = environment["ARGUS_HOME"]!
        proxy = try Spawned(
            Binaries.argus, ["wrap", "--db", self.database] + options + ["--"] + server,
            environment: environment)
    }

    convenience init(testServer options: [String] = [], environment: [String: String]? = nil) throws {
        try self.init(server: [Binaries.testServer], options: options, environment: environment)
    }

    private var nextID = 1

    @discardableResult
    func request(_ method: String, _ params: JSONValue = [:], id: JSONValue? = nil) -> JSONValue? {
        let requestID = id ?? .int(nextID)
        nextID += 1
        proxy.send(["jsonrpc": "2.0", "id": requestID, "method": .string(method), "params": params])
        return proxy.response(to: requestID)
    }

    func initialize(version: String = "2025-11-25") {
        request(
            "initialize",
            [
                "protocolVersion": .string(version), "capabilities": [:],
                "clientInfo": ["name": "argus-tests", "version": "1.0"],
            ])
        proxy.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
    }

    @discardableResult
    func callTool(_ name: String, _ arguments: JSONValue = [:]) -> JSONValue? {
        request("tools/call", ["name": .string(name), "arguments": arguments])?["result"]
    }

    /// Closes the client side and waits for the proxy to exit.
    func finish(timeout: Double = 120) -> Int32? {
        proxy.closeInput()
        return proxy.waitForExit(timeout: timeout)
    }

    func reader() throws -> SQLiteReader { try SQLiteReader(path: database) }
}

func processExists(_ pid: Int32) -> Bool {
    // A zombie still "exists" for kill(); check /proc for its state.
    guard kill(pid, 0) == 0 else { return false }
    if let status = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) {
        let fields = status.split(separator: ")").last?.split(separator: " ")
        return fields?.first != "Z"
    }
    return true
}

func waitUntil(timeout: Double = 60, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.02)
    }
    return condition()
}
