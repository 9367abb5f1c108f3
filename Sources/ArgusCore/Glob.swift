/// Shell-style wildcards: `*` matches any run of characters and, unless turned
/// off, `?` one character. Used for script `match` rules and replay ignore rules.
public enum Glob {
    public static func matches(_ pattern: String, _ text: String, questionMarkIsWildcard: Bool = true) -> Bool {
        let p = Array(pattern), t = Array(text)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, (questionMarkIsWildcard && p[pi] == "?") || p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
