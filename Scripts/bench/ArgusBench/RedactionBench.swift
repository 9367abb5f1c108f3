import ArgusCore
import ArgusSystem
import Foundation

enum RedactionBench {
    /// Built-in redaction on hostile sizes, each next to the same number of bytes with
    /// nothing to redact (the same run's baseline): many matches in one string, many
    /// secret-keyed values in one message (each remembered), and a text searched for
    /// the most values a session remembers. Linear work keeps each within a small
    /// factor of its baseline; the first version took 33 s on the first case.
    static func run(_ options: Options) {
        let count = options.int("matches", 200_000)
        let rounds = options.int("rounds", 5)
        func median(_ body: () -> Void) -> Double {
            var times: [Double] = []
            for _ in 0..<rounds {
                let start = SystemClock.monotonicNanos()
                body()
                times.append(Double(SystemClock.monotonicNanos() - start) / 1e6)
            }
            return times.percentile(0.5)
        }

        let matches = String(repeating: "sk-" + String(repeating: "a", count: 20) + " ", count: count)
        let plain = String(repeating: "ok-" + String(repeating: "a", count: 20) + " ", count: count)
        let text = (
            median { _ = Redactor(policy: RedactionPolicy()).redactText(matches) },
            median { _ = Redactor(policy: RedactionPolicy()).redactText(plain) }
        )

        func message(key: String) -> JSONValue {
            .array((0..<count).map { .object(JSONObject([JSONMember(key, .string("value-\($0)-abcdef"))])) })
        }
        let keyed = message(key: "token"), unkeyed = message(key: "label")
        let json = (
            median { _ = Redactor(policy: RedactionPolicy()).redact(keyed) },
            median { _ = Redactor(policy: RedactionPolicy()).redact(unkeyed) }
        )

        let remembering = Redactor(policy: RedactionPolicy())
        for i in 0..<SecretMemory.maxValues { _ = remembering.redactText("password=remembered-value-\(i)") }
        let search = (median { _ = remembering.redactText(plain) }, median { _ = Redactor(policy: RedactionPolicy()).redactText(plain) })

        let megabytes = fmt(Double(matches.utf8.count) / 1e6, 1)
        print("redaction: median of \(rounds) rounds, ms; baseline: the same size with nothing to redact, same run")
        print("| case | redacting (ms) | baseline (ms) | ratio |")
        print("|---|---|---|---|")
        print("| \(megabytes) MB text with \(count) `sk-` keys | \(fmt(text.0)) | \(fmt(text.1)) | \(fmt(text.0 / text.1, 2)) |")
        print(
            "| one message of \(count) objects with a secret key (each value remembered) | \(fmt(json.0)) | \(fmt(json.1)) | \(fmt(json.0 / json.1, 2)) |"
        )
        print(
            "| \(megabytes) MB text searched for \(SecretMemory.maxValues) remembered values | \(fmt(search.0)) | \(fmt(search.1)) | \(fmt(search.0 / search.1, 2)) |"
        )
    }
}
