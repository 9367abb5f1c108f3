import ArgusCore

/// libFuzzer entry for the stdio line framer, which splits whatever an MCP peer
/// writes. The first byte picks the line cap, the second how the rest is cut
/// into chunks; the lines that come out must be exactly the input split on `\n`
/// (cut to the cap, with their true sizes), however it was chunked.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFramer(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 2 else { return 0 }
    let cap = Int(data[0] % 64) + 1
    let step = Int(data[1] % 17) + 1
    let input = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    var framer = LineFramer(maxLineBytes: cap)
    var lines: [LineFramer.Line] = []
    var start = 0
    var chunk = step
    while start < input.count {
        let end = min(input.count, start + chunk)
        framer.push(Array(input[start..<end])) { lines.append($0) }
        start = end
        chunk = chunk % 7 + step  // uneven chunks, from one byte up
    }
    framer.finish { lines.append($0) }

    var expected = input.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
    if expected.last?.isEmpty == true { expected.removeLast() }  // a final newline ends the last line, it does not start one
    guard lines.count == expected.count else { fatalError("\(lines.count) lines for \(expected.count)") }
    for (line, whole) in zip(lines, expected) {
        guard line.size == whole.count, line.bytes == Array(whole.prefix(cap)) else {
            fatalError("a line came out as \(line.bytes) (size \(line.size)) for \(whole)")
        }
    }
    return 0
}
