import ArgusCore

/// A W3C Trace Context (`traceparent`, `tracestate`): where a span sits in a trace.
public struct TraceContext: Sendable, Hashable {
    /// 16 bytes, not all zero.
    public var traceID: [UInt8]
    /// 8 bytes, not all zero.
    public var spanID: [UInt8]
    public var sampled: Bool
    public var traceState: String?

    public init(traceID: [UInt8], spanID: [UInt8], sampled: Bool, traceState: String? = nil) {
        self.traceID = traceID
        self.spanID = spanID
        self.sampled = sampled
        self.traceState = traceState
    }

    /// Reads a `traceparent` header value (`00-<32 hex>-<16 hex>-<2 hex>`). Nil when it is
    /// malformed or names the invalid all-zero ids, as the W3C specification asks.
    public init?(traceparent: String, tracestate: String? = nil) {
        let parts = traceparent.trimmingSpaces.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].count == 2, parts[0] != "ff",
            let version = Hex.decode(parts[0]), let trace = Hex.decode(parts[1]), trace.count == 16,
            let span = Hex.decode(parts[2]), span.count == 8, let flags = Hex.decode(parts[3]), flags.count == 1,
            version[0] != 0 || parts.count == 4,
            trace.contains(where: { $0 != 0 }), span.contains(where: { $0 != 0 })
        else { return nil }
        self.init(
            traceID: trace, spanID: span, sampled: flags[0] & 1 == 1,
            traceState: tracestate.flatMap { $0.isEmpty ? nil : $0 })
    }

    public var traceparent: String {
        "00-\(Hex.encode(traceID))-\(Hex.encode(spanID))-\(sampled ? "01" : "00")"
    }

    /// Span and trace ids are random, not secret (what OpenTelemetry SDKs use too): a fast
    /// generator seeded once from the system's, rather than a system call per id.
    static func idGenerator() -> SplitMix64 {
        var system = SystemRandomNumberGenerator()
        return SplitMix64(seed: system.next())
    }

    public static func newTraceID<G: RandomNumberGenerator>(using generator: inout G) -> [UInt8] {
        randomNonZero(16, using: &generator)
    }

    public static func newSpanID<G: RandomNumberGenerator>(using generator: inout G) -> [UInt8] {
        randomNonZero(8, using: &generator)
    }

    private static func randomNonZero<G: RandomNumberGenerator>(_ count: Int, using generator: inout G) -> [UInt8] {
        while true {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(count)
            while bytes.count < count {
                withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0.prefix(count - bytes.count)) }
            }
            if bytes.contains(where: { $0 != 0 }) { return bytes }
        }
    }
}

/// Lowercase hexadecimal, as trace ids are written in `traceparent` and OTLP/JSON.
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Lowercase only: `traceparent` forbids uppercase.
    static func decode<S: StringProtocol>(_ text: S) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let high = value(utf8[i]), let low = value(utf8[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    private static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
