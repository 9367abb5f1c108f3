import Foundation

/// Latency histograms with logarithmic buckets: 32 per doubling (≈2.2% wide),
/// from 1 µs to about 3 hours. Percentiles read from it are within one bucket
/// of the exact value.
struct LatencyHistogram {
    static let bucketsPerDoubling = 32.0
    static let bucketCount = 1100
    var counts = [UInt32](repeating: 0, count: bucketCount)
    var total = 0
    var sum: Int64 = 0
    var max: Int64 = 0

    static func bucket(_ micros: Int64) -> Int {
        guard micros > 1 else { return 0 }
        return Swift.min(bucketCount - 1, Int(log2(Double(micros)) * bucketsPerDoubling) + 1)
    }

    /// The upper edge of a bucket, in µs.
    static func upperBound(_ bucket: Int) -> Double {
        bucket == 0 ? 1 : exp2(Double(bucket) / bucketsPerDoubling)
    }

    mutating func add(_ micros: Int64) {
        counts[Self.bucket(micros)] += 1
        total += 1
        sum += micros
        max = Swift.max(max, micros)
    }

    /// Nearest-rank percentile: the upper edge of the bucket holding that rank (never above the maximum).
    func percentile(_ p: Double) -> Int64? {
        guard total > 0 else { return nil }
        let rank = Swift.max(1, Int((p * Double(total)).rounded(.up)))
        var seen = 0
        for (i, count) in counts.enumerated() where count > 0 {
            seen += Int(count)
            if seen >= rank { return Swift.min(max, Int64(Self.upperBound(i).rounded(.up))) }
        }
        return max
    }

    /// How many values are at or below `micros` (to bucket precision).
    func countAtOrBelow(_ micros: Double) -> Int {
        var n = 0
        for (i, count) in counts.enumerated() where count > 0 && Self.upperBound(i) <= micros * 1.000001 { n += Int(count) }
        return n
    }
}
