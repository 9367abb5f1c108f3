/// The verdicts on one run, for people (text), programs (JSON) and CI (JUnit).
public struct VerdictReport: Sendable {
    public var runID: Int64
    public var verdicts: [Verdict]
    /// Tool calls read, and faults injected into them.
    public var calls: Int
    public var faults: Int

    public init(runID: Int64, verdicts: [Verdict], calls: Int, faults: Int) {
        self.runID = runID
        self.verdicts = verdicts
        self.calls = calls
        self.faults = faults
    }

    /// No finding at the `failure` level.
    public var passed: Bool { !verdicts.contains { $0.level == .failure } }

    public func count(_ level: Verdict.Level) -> Int { verdicts.filter { $0.level == level }.count }

    public var summary: String {
        let head = "\(calls == 1 ? "1 tool call" : "\(calls) tool calls"), \(faults == 1 ? "1 fault" : "\(faults) faults") injected: "
        guard !verdicts.isEmpty else { return head + "no findings." }
        func n(_ count: Int, _ noun: String) -> String { count == 1 ? "1 \(noun)" : "\(count) \(noun)s" }
        return head + "\(n(count(.failure), "failure")), \(n(count(.warning), "warning")), \(n(count(.info), "note"))."
    }

    public var text: String {
        var lines: [String] = []
        for v in verdicts {
            let tag: String
            switch v.level {
            case .failure: tag = "FAIL"
            case .warning: tag = "WARN"
            case .info: tag = "note"
            }
            let at = v.callID.map { "call \($0)" } ?? ""
            lines.append("\(tag)  \(v.kind)  \(at)\(v.source == "argus" ? "" : "  (\(v.source))")")
            lines.append("      \(v.message)")
        }
        lines.append(summary)
        return lines.joined(separator: "\n")
    }

    public var json: JSONValue {
        [
            "run_id": .number(String(runID)), "calls": .int(calls), "faults": .int(faults), "passed": .bool(passed),
            "verdicts": .array(verdicts.map(\.json)),
        ]
    }

    /// One `<testsuite>` element: a test case per finding (failures fail), or one passing case when
    /// there are none, so a CI report always shows that the verdicts ran.
    public func junitSuite(name: String) -> String {
        let suiteName = escape(name)
        var xml =
            #"<testsuite name="\#(suiteName)" tests="\#(max(verdicts.count, 1))" failures="\#(count(.failure))" errors="0" skipped="0">"#
            + "\n"
        if verdicts.isEmpty {
            xml += #"  <testcase classname="\#(suiteName)" name="no findings"/>"# + "\n"
        }
        for v in verdicts {
            let label = "\(v.kind)\(v.tool.map { " \($0)" } ?? "")\(v.callID.map { " #\($0)" } ?? "")"
            xml += #"  <testcase classname="\#(suiteName).\#(escape(v.kind))" name="\#(escape(label))">"#
            switch v.level {
            case .failure: xml += #"<failure message="\#(escape(v.message))"/>"#
            case .warning, .info: xml += "<system-out>\(escape(v.level.rawValue + ": " + v.message))</system-out>"
            }
            xml += "</testcase>\n"
        }
        return xml + "</testsuite>\n"
    }

    /// A whole JUnit document.
    public func junit(name: String) -> String {
        #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n<testsuites>" + junitSuite(name: name) + "</testsuites>\n"
    }

    private func escape(_ s: String) -> String {
        let legal = String(String.UnicodeScalarView(s.unicodeScalars.filter { $0.value >= 0x20 || $0 == "\t" || $0 == "\n" || $0 == "\r" }))
        return legal.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;").replacing("\"", with: "&quot;")
    }
}
