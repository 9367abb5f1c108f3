import ArgusCore
import Foundation

/// Plain-text tables for the terminal.
struct Table {
    enum Alignment { case left, right }
    var headers: [String]
    var alignments: [Alignment]
    var rows: [[String]] = []

    init(_ columns: [(String, Alignment)]) {
        headers = columns.map(\.0)
        alignments = columns.map(\.1)
    }

    mutating func add(_ row: [String]) { rows.append(row) }

    func render() -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let padding = String(repeating: " ", count: max(0, widths[i] - cell.count))
                if i == cells.count - 1 && alignments[i] == .left { return cell }
                return alignments[i] == .left ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }
}

enum Format {
    /// Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org).
    static var colorOnStdout: Bool { isatty(1) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil }

    /// `842µs`, `12.3ms`, `1.24s`.
    static func duration(micros: Int64?) -> String {
        guard let us = micros else { return "-" }
        if us < 1000 { return "\(us)µs" }
        if us < 1_000_000 { return String(format: "%.1fms", Double(us) / 1000) }
        if us < 60_000_000 { return String(format: "%.2fs", Double(us) / 1_000_000) }
        return String(format: "%.1fmin", Double(us) / 60_000_000)
    }

    /// Local time, `2026-11-21 19:46:15`.
    static func time(micros: Int64) -> String {
        var seconds = time_t(micros / 1_000_000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }

    /// One line of at most `limit` characters, cut between words.
    static func truncate(_ text: String, _ limit: Int) -> String {
        text.replacingOccurrences(of: "\n", with: " ").shortened(to: limit)
    }

    /// One line, whole: for the last column of a table, where length costs no alignment.
    static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: " ")
    }

    static func printJSON(_ value: JSONValue) {
        print(JSONWriter.string(value, pretty: true))
    }
}
