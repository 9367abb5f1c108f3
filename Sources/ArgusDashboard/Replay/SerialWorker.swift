import ArgusCore
import ArgusSystem

/// Runs closures one at a time on its own long-lived thread, and waits for each.
final class SerialWorker: @unchecked Sendable {
    private let monitor = Monitor()
    private var jobs: [() -> Void] = []
    private var stopped = false

    init(name: String) {
        OSThread(name: name) { [self] in loop() }
    }

    /// Runs `body` on the worker's thread and returns its value; nil once the worker is stopped.
    func run<T>(_ body: @escaping () -> T) -> T? {
        let done = Monitor()
        nonisolated(unsafe) var result: T?
        nonisolated(unsafe) var finished = false
        let accepted = monitor.locked { () -> Bool in
            guard !stopped else { return false }
            jobs.append {
                let value = body()
                done.locked {
                    result = value
                    finished = true
                    done.broadcast()
                }
            }
            monitor.broadcast()
            return true
        }
        guard accepted else { return nil }
        return done.locked {
            while !finished { done.wait(untilMonotonicNanos: nil) }
            return result
        }
    }

    func stop() {
        monitor.locked {
            stopped = true
            monitor.broadcast()
        }
    }

    private func loop() {
        while true {
            let job = monitor.locked { () -> (() -> Void)? in
                while jobs.isEmpty && !stopped { monitor.wait(untilMonotonicNanos: nil) }
                return jobs.isEmpty ? nil : jobs.removeFirst()
            }
            guard let job else { return }
            job()
        }
    }
}
