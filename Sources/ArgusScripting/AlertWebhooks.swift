import ArgusCore
import ArgusSystem
import CArgusSystem
import Foundation

/// Posts fired alerts as JSON to webhook URLs, on its own thread: the recorder
/// only queues them. Each delivery is tried up to `attempts` times with growing
/// pauses; a full queue drops the oldest alert (and says so), never blocks.
public final class AlertWebhooks: @unchecked Sendable {
    public let urls: [URL]
    public let attempts: Int
    public let timeoutSeconds: Double
    private let queue = BoundedQueue<FiredAlert>(capacityBytes: 1000)
    private let report: @Sendable (String) -> Void
    private let monitor = Monitor()
    private var delivered = 0
    private var failed = 0
    private var thread: OSThread?

    public init(urls: [URL], attempts: Int = 3, timeoutSeconds: Double = 5, report: @escaping @Sendable (String) -> Void) {
        self.urls = urls
        self.attempts = attempts
        self.timeoutSeconds = timeoutSeconds
        self.report = report
        thread = OSThread(name: "argus-webhooks", background: true) { [self] in run() }
    }

    /// Queues an alert for every URL (one unit of capacity each).
    public func send(_ alert: FiredAlert) {
        if !queue.offer(alert, bytes: 1) {
            report("argus: alert webhook queue is full; alert \"\(alert.message)\" was not delivered")
        }
    }

    /// Delivers what is queued (up to `timeoutSeconds` overall), then stops.
    public func finish(timeoutSeconds: Double = 5) {
        queue.close()
        thread?.join(timeoutSeconds: timeoutSeconds)
    }

    public var counts: (delivered: Int, failed: Int) { monitor.locked { (delivered, failed) } }

    private func run() {
        while let alerts = queue.takeAll() {
            for alert in alerts {
                for url in urls { deliver(alert, to: url) }
            }
        }
    }

    private func deliver(_ alert: FiredAlert, to url: URL) {
        let body = JSONWriter.string(alert.json)
        var lastProblem = ""
        for attempt in 1...max(attempts, 1) {
            var error = [CChar](repeating: 0, count: 256)
            let status = argus_http_post_json(
                url.absoluteString, body, Int(timeoutSeconds * 1000), "argus/\(argusVersion)",
                nil, &error, Int32(error.count))
            if (200..<300).contains(status) {
                monitor.locked { delivered += 1 }
                return
            }
            lastProblem =
                status < 0
                ? String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                : "HTTP \(status)"
            if status < 0, lastProblem.hasPrefix("libcurl is not installed") { break }
            if attempt < attempts { SystemClock.sleep(seconds: Double(attempt * attempt)) }
        }
        monitor.locked { failed += 1 }
        report("argus: could not deliver alert \"\(alert.message)\" to \(url.host ?? url.absoluteString): \(lastProblem)")
    }
}
