extension JSONParseError {
    /// Where the error is in `text`, as an editor counts: line and column from 1,
    /// columns in characters (Unicode scalars), not bytes.
    public func location(in text: String) -> (line: Int, column: Int) {
        var line = 1, column = 1, offset = 0
        for scalar in text.unicodeScalars {
            if offset >= self.offset { break }
            offset += UTF8.width(scalar)
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }

    /// `line 3, column 17: expected … ` for a human reading `text` in an editor.
    public func described(in text: String) -> String {
        let (line, column) = location(in: text)
        return "line \(line), column \(column): \(message)"
    }
}
