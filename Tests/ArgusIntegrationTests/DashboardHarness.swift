import ArgusCore
import ArgusSystem
import Foundation

/// A minimal HTTP/1.1 client over a raw socket, so tests control every header (Host, Origin).
struct HTTPReply {
    var status: Int
    var headers: [String: String]
    var body: String
    var json: JSONValue? { try? JSONParser.parse(body) }
}

enum HTTPProbe {
    static func connect(port: Int) -> Int32? { Loopback.connect(port: port, timeoutSeconds: 30) }

    static func requestText(_ method: String, _ path: String, port: Int, headers: [String: String], body: String?) -> String {
        var text = "\(method) \(path) HTTP/1.1\r\n"
        var all = headers
        if all["Host"] == nil { all["Host"] = "127.0.0.1:\(port)" }
        all["Connection"] = "close"
        if let body { all["Content-Length"] = String(body.utf8.count) }
        for (k, v) in all.sorted(by: { $0.key < $1.key }) where !v.isEmpty { text += "\(k): \(v)\r\n" }
        return text + "\r\n" + (body ?? "")
    }

    static func request(_ method: String, _ path: String, port: Int, headers: [String: String] = [:], body: String? = nil) -> HTTPReply {
        guard let fd = connect(port: port) else { return HTTPReply(status: 0, headers: [:], body: "cannot connect") }
        defer { close(fd) }
        let raw = Array(requestText(method, path, port: port, headers: headers, body: body).utf8)
        _ = raw.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        return parse(received)
    }

    static func parse(_ bytes: [UInt8]) -> HTTPReply {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return HTTPReply(status: 0, headers: [:], body: text) }
        let head = text[..<split.lowerBound].split(separator: "\r\n")
        let status = Int(head.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return HTTPReply(status: status, headers: headers, body: String(text[split.upperBound...]))
    }
}

/// A server-sent events connection read on a background thread.
final class EventStreamReader: @unchecked Sendable {
    struct Event {
        var name: String
        var id: String?
        var data: JSONValue?
    }

    private let fd: Int32
    private let condition = NSCondition()
    private var events: [Event] = []
    private(set) var headerText = ""
    private var closed = false

    init?(port: Int, lastEventID: Int64? = nil) {
        guard let fd = HTTPProbe.connect(port: port) else { return nil }
        self.fd = fd
        var headers = ["Accept": "text/event-stream"]
        if let lastEventID { headers["Last-Event-ID"] = String(lastEventID) }
        var text = HTTPProbe.requestText("GET", "/api/events", port: port, headers: headers, body: nil)
        text = text.replacingOccurrences(of: "Connection: close\r\n", with: "")
        let raw = Array(text.utf8)
        _ = raw.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        Thread.detachNewThread { [self] in read() }
    }

    private func read() {
        var pending = ""
        var headDone = false
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            pending += String(decoding: buffer[0..<n], as: UTF8.self)
            if !headDone, let end = pending.range(of: "\r\n\r\n") {
                condition.lock()
                headerText = String(pending[..<end.lowerBound])
                condition.unlock()
                pending = String(pending[end.upperBound...])
                headDone = true
            }
            guard headDone else { continue }
            while let end = pending.range(of: "\n\n") {
                let block = pending[..<end.lowerBound]
                pending = String(pending[end.upperBound...])
                var event = Event(name: "message")
                var sawField = false
                for line in block.split(separator: "\n") where !line.hasPrefix(":") {
                    sawField = true
                    if line.hasPrefix("event: ") { event.name = String(line.dropFirst(7)) }
                    if line.hasPrefix("id: ") { event.id = String(line.dropFirst(4)) }
                    if line.hasPrefix("data: ") { event.data = try? JSONParser.parse(String(line.dropFirst(6))) }
                }
                guard sawField else { continue }
                condition.lock()
                events.append(event)
                condition.broadcast()
                condition.unlock()
            }
        }
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for the first event matching `predicate` (events already received count).
    func waitFor(timeout: Double = 60, _ predicate: (Event) -> Bool) -> Event? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let event = events.first(where: predicate) { return event }
            if closed || !condition.wait(until: deadline) { return nil }
        }
    }

    /// Waits until `holds` is true of the events received so far (or the stream ends, or time runs out).
    func waitUntil(timeout: Double = 60, _ holds: ([Event]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if holds(events) { return true }
            if closed || !condition.wait(until: deadline) { return holds(events) }
        }
    }

    /// The id of the last event that carried one.
    var lastEventID: Int64? { all.last { $0.id != nil }?.id.flatMap { Int64($0) } }

    var all: [Event] {
        condition.lock()
        defer { condition.unlock() }
        return events
    }

    func close() { shutdown(fd, Int32(SHUT_RDWR)); Foundation.close(fd) }
}

/// `argus dashboard` on a free port over a database.
final class DashboardProcess: @unchecked Sendable {
    let process: Spawned
    let port: Int
    let home: String
    let token: String

    init(database: String, home: String, extra: [String] = [], environment: [String: String] = [:]) throws {
        self.home = home
        var env = ProcessInfo.processInfo.environment
        env["ARGUS_HOME"] = home
        env.merge(environment) { $1 }
        process = try Spawned(Binaries.argus, ["dashboard", "--db", database, "--port", "0"] + extra, environment: env)
        guard let line = process.readLine(timeout: 20), let range = line.range(of: #":(\d+)/"#, options: .regularExpression),
            let port = Int(line[range].dropFirst().dropLast())
        else {
            throw DashboardStartError(stderr: process.stderrText)
        }
        self.port = port
        token = (try? String(contentsOfFile: home + "/token", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    struct DashboardStartError: Error, CustomStringConvertible {
        var stderr: String
        var description: String { "the dashboard did not start: \(stderr)" }
    }

    func get(_ path: String, headers: [String: String] = [:]) -> HTTPReply { HTTPProbe.request("GET", path, port: port, headers: headers) }

    /// A mutating request with the token and a same-origin Origin, as the page sends it.
    func send(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:]) -> HTTPReply {
        var all = ["X-Argus-Token": token, "Origin": "http://127.0.0.1:\(port)", "Content-Type": "application/json"]
        all.merge(headers) { $1 }
        return HTTPProbe.request(method, path, port: port, headers: all, body: body)
    }

    func stop() {
        process.signal(SIGTERM)
        _ = process.waitForExit(timeout: 10)
    }
}
