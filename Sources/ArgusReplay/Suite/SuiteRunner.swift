import ArgusCore
import Foundation

/// Replays a plan's calls with one warm server and sums up.
public struct SuiteReport: Sendable {
    public var results: [ReplayResult]
    public var seconds: Double

    public func count(_ outcome: ReplayResult.Outcome) -> Int { results.filter { $0.outcome == outcome }.count }
    /// Changed or failed calls gate CI, and so does a suite that compared nothing: one whose
    /// calls were all skipped (or that had none) proves nothing and must not pass.
    public var passed: Bool { count(.changed) == 0 && count(.failed) == 0 && !comparedNothing }

    /// Every call was skipped, or there was none: nothing was even tried.
    public var comparedNothing: Bool { count(.equal) + count(.changed) + count(.failed) == 0 }

    public var summary: String {
        "\(results.count) calls: \(count(.equal)) equal, \(count(.changed)) changed, \(count(.failed)) failed, "
            + "\(count(.skipped)) skipped (\(String(oneDecimal: seconds)) s)"
    }

    /// JUnit XML, for CI systems.
    public func junit(name: String) -> String {
        func escape(_ s: String) -> String {
            // XML 1.0 has no place for most control characters (ESC from a terminal diff, say): drop them.
            let legal = String(String.UnicodeScalarView(s.unicodeScalars.filter { $0.value >= 0x20 || $0 == "\t" || $0 == "\n" || $0 == "\r" }))
            return legal.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;").replacing("\"", with: "&quot;")
        }
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        xml += #"<testsuites><testsuite name="\#(escape(name))" tests="\#(results.count)" failures="\#(count(.changed))" "#
            + #"errors="\#(count(.failed))" skipped="\#(count(.skipped))" time="\#(String(format: "%.3f", seconds))">"# + "\n"
        for r in results {
            let label = "\(r.call.tool ?? r.call.method) #\(r.call.callID.map(String.init) ?? "?")"
            let time = String(format: "%.6f", Double(r.latencyMicros ?? 0) / 1e6)
            xml += #"  <testcase classname="\#(escape(name)).\#(escape(r.call.tool ?? r.call.method))" name="\#(escape(label))" time="\#(time)">"#
            switch r.outcome {
            case .equal: break
            case .skipped: xml += #"<skipped message="\#(escape(r.failure ?? "skipped"))"/>"#
            case .failed: xml += #"<error message="\#(escape(r.failure ?? "failed"))"/>"#
            case .changed:
                xml += #"<failure message="\#(r.changes.count) differences">\#(escape(DiffText.render(r, color: false)))</failure>"#
            }
            xml += "</testcase>\n"
        }
        return xml + "</testsuite></testsuites>\n"
    }
}

public enum SuiteRunner {
    /// Runs every call of the plan. Calls of tools not annotated read-only (or
    /// annotated destructive) are skipped unless the options' `safeTools` name them or
    /// `allowDestructive`.
    public static func run(_ plan: ReplayPlan, options: ReplayEngine.Options, allowDestructive: Bool,
                           report: @escaping @Sendable (String) -> Void,
                           progress: (Int, Int, ReplayResult) -> Void = { _, _, _ in }) -> SuiteReport {
        let start = Clock.monotonicNanos()
        let engine = ReplayEngine(options: options, launch: plan.launch, handshake: plan.handshake, report: report)
        defer { engine.close() }
        var results: [ReplayResult] = []
        for (i, call) in plan.calls.enumerated() {
            var result: ReplayResult
            if !allowDestructive && call.safetyConcern(safeTools: options.safeTools) != nil {
                result = ReplayResult(call: call, outcome: .skipped, actualIsError: false, changes: [],
                                      failure: Self.skipReason(call, safeTools: options.safeTools))
            } else {
                result = engine.replay(call)
            }
            results.append(result)
            progress(i + 1, plan.calls.count, result)
        }
        return SuiteReport(results: results, seconds: Double(Clock.monotonicNanos() - start) / 1e9)
    }

    static func skipReason(_ call: ReplayCall, safeTools: [String]) -> String {
        "may change something when replayed: \(call.safetyConcern(safeTools: safeTools) ?? "")"
    }
}

/// A replay result as text for a terminal.
public enum DiffText {
    public static func render(_ r: ReplayResult, color: Bool) -> String {
        func paint(_ code: String, _ text: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        let name = "\(r.call.tool ?? r.call.method)" + (r.call.callID.map { " (call \($0))" } ?? "")
        var lines: [String] = []
        let latency = "latency \(Self.duration(r.call.latencyMicros)) → \(Self.duration(r.latencyMicros))"
        switch r.outcome {
        case .equal: lines.append("\(paint("32", "equal"))    \(name), \(latency)")
        case .skipped: lines.append("\(paint("90", "skipped"))  \(name): \(r.failure ?? "")")
        case .failed: lines.append("\(paint("31", "failed"))   \(name): \(r.failure ?? "")")
        case .changed:
            lines.append("\(paint("33", "changed"))  \(name), \(r.changes.count) difference\(r.changes.count == 1 ? "" : "s"), \(latency)")
            if r.isErrorChanged {
                lines.append("  " + paint("1;31", "isError: \(r.call.expectedIsError) → \(r.actualIsError)"))
            }
            for change in r.changes.prefix(50) {
                switch change.kind {
                case .added: lines.append("  " + paint("32", "+ \(change.pointer): \(short(change.after))"))
                case .removed: lines.append("  " + paint("31", "- \(change.pointer): \(short(change.before))"))
                case .changed:
                    if let text = change.lines {
                        lines.append("  " + paint("33", "~ \(change.pointer):"))
                        for line in text where line.kind != .same {
                            lines.append("      " + (line.kind == .added ? paint("32", "+ " + line.text) : paint("31", "- " + line.text)))
                        }
                    } else {
                        lines.append("  " + paint("33", "~ \(change.pointer): \(short(change.before)) → \(short(change.after))"))
                    }
                }
            }
            if r.changes.count > 50 { lines.append("  … and \(r.changes.count - 50) more") }
        }
        return lines.joined(separator: "\n")
    }

    static func short(_ value: JSONValue?) -> String {
        guard let value else { return "" }
        let text = JSONWriter.string(value)
        return text.count > 120 ? String(text.prefix(119)) + "…" : text
    }

    static func duration(_ micros: Int64?) -> String {
        guard let us = micros else { return "-" }
        if us < 1000 { return "\(us)µs" }
        if us < 1_000_000 { return String(format: "%.1fms", Double(us) / 1000) }
        return String(format: "%.2fs", Double(us) / 1e6)
    }
}
