import ArgusCore
import Foundation

/// A replay result as text for a terminal.
public enum DiffText {
    /// `verb` heads a changed result: `changed`, or `accepted` for `argus test --update`.
    public static func render(_ r: ReplayResult, color: Bool, verb: String = "changed") -> String {
        func paint(_ code: String, _ text: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        let name = "\(r.call.tool ?? r.call.method)" + (r.call.callID.map { " (call \($0))" } ?? "")
        var lines: [String] = []
        let latency = "latency \(Self.duration(r.call.latencyMicros)) → \(Self.duration(r.latencyMicros))"
        switch r.outcome {
        case .equal: lines.append("\(paint("32", "equal"))    \(name), \(latency)")
        case .skipped: lines.append("\(paint("90", "skipped"))  \(name): \(r.failure ?? "")")
        case .failed: lines.append("\(paint("31", "failed"))   \(name): \(r.failure ?? "")")
        case .changed:
            let padding = String(repeating: " ", count: max(1, 9 - verb.count))  // names line up under `changed  `
            lines.append(
                "\(paint("33", verb))\(padding)\(name), \(r.changes.count) difference\(r.changes.count == 1 ? "" : "s"), \(latency)")
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
