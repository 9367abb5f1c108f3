import ArgusCore
import Foundation

/// What a suite came to: every call's result, and whether the suite passes.
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
            let legal = String(
                String.UnicodeScalarView(s.unicodeScalars.filter { $0.value >= 0x20 || $0 == "\t" || $0 == "\n" || $0 == "\r" }))
            return legal.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;").replacing(
                "\"", with: "&quot;")
        }
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        xml +=
            #"<testsuites><testsuite name="\#(escape(name))" tests="\#(results.count)" failures="\#(count(.changed))" "#
            + #"errors="\#(count(.failed))" skipped="\#(count(.skipped))" time="\#(String(format: "%.3f", seconds))">"# + "\n"
        for r in results {
            let label = "\(r.call.tool ?? r.call.method) #\(r.call.callID.map(String.init) ?? "?")"
            let time = String(format: "%.6f", Double(r.latencyMicros ?? 0) / 1e6)
            xml +=
                #"  <testcase classname="\#(escape(name)).\#(escape(r.call.tool ?? r.call.method))" name="\#(escape(label))" time="\#(time)">"#
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
