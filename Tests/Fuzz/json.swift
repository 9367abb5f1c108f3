import ArgusCore

/// libFuzzer entry for the JSON parser, which reads every recorded frame and every
/// request body. Beyond not crashing (ASan watches memory): what parses, written
/// back, parses to the same value, pretty or not.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let value = try? JSONParser.parse(bytes) else { return 0 }
    for pretty in [false, true] {
        let written = JSONWriter.string(value, pretty: pretty)
        guard let again = try? JSONParser.parse(written) else { fatalError("the writer's output does not parse: \(written)") }
        guard again == value else { fatalError("a round trip changed the value: \(written)") }
    }
    // A shallower limit refuses or agrees; it never parses something else.
    if let shallow = try? JSONParser.parse(bytes, maxDepth: 8), shallow != value { fatalError("maxDepth changed the value") }
    return 0
}
