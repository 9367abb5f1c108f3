import ArgusSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `argus proxy`'s event loops queue a message before they write it and wake the recorder
/// after: what is queued without a wake must still reach a consumer that sleeps.
@Suite struct BoundedQueueTests {
    @Test func anElementQueuedWithoutWakingReachesASleepingConsumerAtWakeIfOwed() throws {
        let queue = BoundedQueue<Int>(capacityBytes: 1 << 20)
        queue.pollingWindowNanos = 0
        let taken = BoundedQueue<[Int]>(capacityBytes: 1 << 20)
        // No deadline: only a signal wakes this consumer.
        OSThread(name: "test-consumer") { taken.offer(queue.takeAll() ?? [], bytes: 1) }
        let deadline = SystemClock.monotonicNanos() + 30_000_000_000
        while !queue.hasSleepingConsumer {
            try #require(SystemClock.monotonicNanos() < deadline, "the consumer never went to sleep")
            usleep(1000)
        }

        #expect(queue.offer(7, bytes: 1, wakingConsumer: false))
        queue.wakeIfOwed()

        let received = taken.takeAll(deadlineMonotonicNanos: SystemClock.monotonicNanos() + 30_000_000_000)
        #expect(received == [[7]], "the sleeping consumer got \(String(describing: received)) within 30 s of wakeIfOwed")
        queue.close()
    }
}
