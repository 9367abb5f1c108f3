import Foundation
import Testing
@testable import ArgusCore

/// Redaction is linear in the size of what it reads, whatever the number of matches
/// or of known secret values. Quadratic work does not finish within the (generous) bound.
@Suite struct RedactionScalingTests {
    final class Outcome: @unchecked Sendable {
        var text: String?
    }

    /// Runs `body` on its own thread; nil when it has not finished within `seconds`.
    func result(within seconds: Double, _ body: @escaping @Sendable () -> String?) -> String? {
        let done = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        let thread = Thread {
            outcome.text = body() ?? "(unchanged)"
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
        return done.wait(timeout: .now() + seconds) == .success ? outcome.text : nil
    }

    @Test func manyMatchesInOneStringAreMergedInLinearTime() throws {
        // 4.8 MB with 200,000 key-shaped strings: the first version compared every match with every
        // other (2·10¹⁰ comparisons; 33 s in a release build), linear work takes about a second.
        let text = String(repeating: "sk-" + String(repeating: "a", count: 20) + " ", count: 200_000)
        let redactor = Redactor(policy: RedactionPolicy())
        let redacted = try #require(
            result(within: 120) { redactor.redactText(text) },
            "redacting 200,000 matches did not finish within 120 s")
        #expect(redacted.hasPrefix("[REDACTED:api-key] [REDACTED:api-key] "))
        #expect(!redacted.contains("sk-aaaa"))
    }

    @Test func manyKnownValuesCostOnePassOverTheText() throws {
        // 256 secret values that share a 900-byte prefix, against 4 MB of that prefix's byte:
        // searching value by value costs values × text × prefix (10¹²); the automaton reads each byte once.
        let prefix = String(repeating: "q", count: 900)
        var environment: [String: String] = [:]
        for i in 0..<256 { environment["SERVICE_\(i)_TOKEN"] = prefix + String(format: "%05d", i) }
        let redactor = Redactor(policy: .forEnvironment(environment))
        let text = String(repeating: "q", count: 4 << 20) + "00007"
        let redacted = try #require(
            result(within: 120) { redactor.redactText(text) },
            "searching 256 known values in 4 MB did not finish within 120 s")
        #expect(redacted.hasSuffix("[REDACTED:env:SERVICE_7_TOKEN]"), "ends with \(redacted.suffix(60))")
    }
}
