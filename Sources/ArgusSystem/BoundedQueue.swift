/// A FIFO between two threads, bounded by an estimate of its contents' bytes.
///
/// Producers choose what happens at the bound: `offer` refuses (the relay must
/// never block, so it counts a loss instead), `put` waits (pipeline stages
/// behind the relay apply backpressure to the stage before them).
///
/// Waking a sleeping consumer costs the producer a futex call. The relay is a
/// producer, so during bursts the consumer polls (short timed waits nobody
/// signals) and only an idle consumer is woken, by the first element of the
/// next burst.
public final class BoundedQueue<Element>: @unchecked Sendable {
    private let monitor = Monitor()
    private var items: [(element: Element, bytes: Int)] = []
    private var head = 0
    private var bytes = 0
    private var closed = false
    private var consumerWaiting = false
    /// An element came for a sleeping consumer, which its producer wakes later (`wakeIfOwed`).
    private var wakeOwed = false
    private var producersWaiting = 0

    public let capacityBytes: Int
    /// After this long without elements the consumer stops polling and sleeps until signalled.
    public var pollingWindowNanos: UInt64 = 50_000_000
    public var pollIntervalNanos: UInt64 = 1_000_000
    private var lastElementNanos: UInt64 = 0
    /// The most bytes ever held at once.
    public private(set) var highWaterBytes = 0
    public private(set) var highWaterCount = 0

    public init(capacityBytes: Int) {
        self.capacityBytes = capacityBytes
    }

    /// Adds without waiting. False (element not queued) when full or closed.
    /// A single element larger than the whole capacity is accepted into an
    /// empty queue, so one huge message is never refused for its size alone.
    ///
    /// With `wakingConsumer: false` a sleeping consumer is left asleep until the producer
    /// calls `wakeIfOwed()`: an event loop queues a message before it writes it, and wakes
    /// the consumer after, so the write does not wait for a futex call.
    @discardableResult
    public func offer(_ element: Element, bytes size: Int, wakingConsumer: Bool = true) -> Bool {
        monitor.locked {
            if closed { return false }
            if bytes + size > capacityBytes && count > 0 { return false }
            append(element, size, wakingConsumer: wakingConsumer)
            return true
        }
    }

    /// Wakes the consumer if an element was queued for it without waking it.
    public func wakeIfOwed() {
        monitor.locked {
            guard wakeOwed else { return }
            wakeOwed = false
            monitor.broadcast()
        }
    }

    /// Adds, waiting while the queue is full. False only if the queue was closed.
    @discardableResult
    public func put(_ element: Element, bytes size: Int) -> Bool {
        monitor.locked {
            while !closed && bytes + size > capacityBytes && count > 0 {
                producersWaiting += 1
                monitor.wait(untilMonotonicNanos: nil)
                producersWaiting -= 1
            }
            if closed { return false }
            append(element, size)
            return true
        }
    }

    private var count: Int { items.count - head }

    private func append(_ element: Element, _ size: Int, wakingConsumer: Bool = true) {
        items.append((element, size))
        bytes += size
        if bytes > highWaterBytes { highWaterBytes = bytes }
        if count > highWaterCount { highWaterCount = count }
        // Only wake a consumer that sleeps; a polling one will find this.
        guard consumerWaiting else { return }
        if wakingConsumer {
            wakeOwed = false
            monitor.broadcast()
        } else {
            wakeOwed = true
        }
    }

    /// Takes everything queued (up to `max` elements), waiting until something
    /// arrives, the queue closes, or the deadline passes. Returns an empty
    /// array on timeout and nil once closed and drained.
    public func takeAll(max: Int = .max, deadlineMonotonicNanos: UInt64? = nil) -> [Element]? {
        monitor.locked {
            while count == 0 {
                if closed { return nil }
                let now = SystemClock.monotonicNanos()
                if let deadline = deadlineMonotonicNanos, now >= deadline { return [] }
                if now - lastElementNanos < pollingWindowNanos {
                    var wake = now + pollIntervalNanos
                    if let deadline = deadlineMonotonicNanos { wake = min(wake, deadline) }
                    monitor.wait(untilMonotonicNanos: wake)
                } else {
                    consumerWaiting = true
                    monitor.wait(untilMonotonicNanos: deadlineMonotonicNanos)
                    consumerWaiting = false
                }
            }
            lastElementNanos = SystemClock.monotonicNanos()
            wakeOwed = false
            let end = min(items.count, head + max)
            var batch: [Element] = []
            batch.reserveCapacity(end - head)
            for entry in items[head..<end] {
                batch.append(entry.element)
                bytes -= entry.bytes
            }
            head = end
            if head == items.count {
                items.removeAll(keepingCapacity: items.count < 4096)
                head = 0
            } else if head > 4096 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            if producersWaiting > 0 { monitor.broadcast() }
            return batch
        }
    }

    /// No more elements will be added; consumers drain what is left.
    public func close() {
        monitor.locked {
            closed = true
            monitor.broadcast()
        }
    }

    /// Wakes the consumer now (it would otherwise notice within a poll interval).
    public func nudge() {
        monitor.locked { monitor.broadcast() }
    }

    public var isEmpty: Bool { monitor.locked { count == 0 } }
    /// Whether the consumer sleeps until an element wakes it (for tests of who wakes it).
    public var hasSleepingConsumer: Bool { monitor.locked { consumerWaiting } }
    public var currentBytes: Int { monitor.locked { bytes } }
}
