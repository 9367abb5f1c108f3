/// Timestamps as text, without Foundation.
public enum TimeFormat {
    /// `2026-11-21T19:46:15.123456Z` for µs since the Unix epoch.
    public static func iso8601(micros: Int64) -> String {
        let seconds = floorDiv(micros, 1_000_000)
        let fraction = micros - seconds * 1_000_000
        let (date, secondOfDay) = (floorDiv(seconds, 86_400), seconds - floorDiv(seconds, 86_400) * 86_400)
        let (y, m, d) = civil(fromDays: date)
        let hh = secondOfDay / 3600, mm = secondOfDay % 3600 / 60, ss = secondOfDay % 60
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(hh, 2)):\(pad(mm, 2)):\(pad(ss, 2)).\(pad(fraction, 6))Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.ffffff](Z|±HH:MM)` (or a date alone) to µs since the epoch.
    public static func parseISO8601(_ text: String) -> Int64? {
        let chars = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= chars.count else { return nil }
            var value: Int64 = 0
            for c in chars[from..<from + count] {
                guard c >= 0x30, c <= 0x39 else { return nil }
                value = value * 10 + Int64(c - 0x30)
            }
            return value
        }
        guard let y = number(0, 4), chars.count >= 10, chars[4] == 0x2D, let m = number(5, 2), chars[7] == 0x2D,
            let d = number(8, 2), (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        var micros = days(fromCivil: y, m, d) * 86_400_000_000
        if chars.count == 10 { return micros }
        guard chars.count >= 19, chars[10] == 0x54 || chars[10] == 0x20, let hh = number(11, 2), chars[13] == 0x3A,
            let mm = number(14, 2), chars[16] == 0x3A, let ss = number(17, 2)
        else { return nil }
        micros += ((hh * 60 + mm) * 60 + ss) * 1_000_000
        var i = 19
        if i < chars.count, chars[i] == 0x2E {
            i += 1
            var digits = 0
            var fraction: Int64 = 0
            while i < chars.count, chars[i] >= 0x30, chars[i] <= 0x39 {
                if digits < 6 {
                    fraction = fraction * 10 + Int64(chars[i] - 0x30)
                    digits += 1
                }
                i += 1
            }
            while digits < 6 {
                fraction *= 10
                digits += 1
            }
            micros += fraction
        }
        if i == chars.count || chars[i] == 0x5A { return micros }
        guard chars[i] == 0x2B || chars[i] == 0x2D, let oh = number(i + 1, 2), chars.count >= i + 6,
            let om = number(i + 4, 2)
        else { return nil }
        let offset = (oh * 60 + om) * 60_000_000
        return chars[i] == 0x2B ? micros - offset : micros + offset
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
