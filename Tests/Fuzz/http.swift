/// libFuzzer entry for the dashboard's HTTP request parser (compiled with
/// Sources/ArgusDashboard/HTTP/HTTPMessage.swift and RequestParser.swift).
/// Beyond not crashing: the incremental search for the end of a head agrees with
/// a search of the whole buffer however the bytes arrive, and a parsed request
/// never claims more bytes than it was given.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let buffer = Array(UnsafeBufferPointer(start: data, count: size))
    switch RequestParser.parse(buffer, maxHeaderBytes: 4096, maxBodyBytes: 1 << 16) {
    case .request(let request, let consumed):
        guard consumed <= buffer.count, request.body.count <= consumed else { fatalError("consumed \(consumed) of \(buffer.count)") }
        _ = request.path
        _ = request.query
    case .failure(let status, let message):
        guard (400...599).contains(status), !message.isEmpty else { fatalError("failure \(status) \(message)") }
    case .incomplete:
        break
    }
    let whole = RequestParser.findHeadEnd(buffer, from: 0)
    var scanner = RequestParser.HeadScanner()
    var received: [UInt8] = []
    var found: Int?
    var step = 1
    for byte in buffer where found == nil {
        received.append(byte)
        if received.count % step == 0 || received.count == buffer.count {
            found = scanner.end(in: received)
            step = step % 5 + 1
        }
    }
    if found == nil && received.count == buffer.count { found = scanner.end(in: received) }
    guard found == whole else {
        fatalError("incremental search found \(String(describing: found)), whole search \(String(describing: whole))")
    }
    return 0
}
