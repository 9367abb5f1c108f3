import ArgusCore
import CArgusSystem
#if canImport(Glibc)
import Glibc
#endif

/// `argus wrap --api URL`: after recordings are committed, tells a dashboard
/// to look now (`POST URL/api/notify`). The dashboard notices new rows by
/// itself within 50 ms; this is for compatibility with setups that push.
/// At most one request per 100 ms, on its own thread, never on the relay path.
public final class DashboardNotifier: @unchecked Sendable {
    private let endpoint: String
    private let tokenPath: String
    private let report: @Sendable (String) -> Void
    private let monitor = Monitor()
    private var pending = false
    private var reportedFailure = false

    public init(apiURL: String, tokenPath: String, report: @escaping @Sendable (String) -> Void) {
        endpoint = (apiURL.hasSuffix("/") ? String(apiURL.dropLast()) : apiURL) + "/api/notify"
        self.tokenPath = tokenPath
        self.report = report
        OSThread(name: "argus-notify", background: true) { [self] in run() }
    }

    /// Records were committed.
    public func committed() {
        monitor.locked {
            pending = true
            monitor.signal()
        }
    }

    private func run() {
        while true {
            monitor.locked {
                while !pending { monitor.wait(untilMonotonicNanos: nil) }
                pending = false
            }
            post()
            Clock.sleep(seconds: 0.1)
        }
    }

    private func post() {
        // The token is read each time: the dashboard may create it after this proxy started.
        let token = readToken()
        var error = [CChar](repeating: 0, count: 256)
        let status = argus_http_post_json(endpoint, "{}", 2000, "argus/\(argusVersion)", "X-Argus-Token: \(token)", &error, Int32(error.count))
        let ok = (200..<300).contains(status)
        let problem = status < 0 ? String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "HTTP \(status)"
        let say = monitor.locked { () -> Bool in
            defer { reportedFailure = !ok }
            return !ok && !reportedFailure
        }
        if say { report("argus: cannot notify the dashboard at \(endpoint): \(problem) (recording is not affected)") }
    }

    /// The token file's first line (plain libc: the proxy does not load Foundation).
    private func readToken() -> String {
        let fd = open(tokenPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return "" }
        return String(decoding: buffer[0..<n].prefix { $0 != 0x0A && $0 != 0x0D && $0 != 0x20 }, as: UTF8.self)
    }
}
