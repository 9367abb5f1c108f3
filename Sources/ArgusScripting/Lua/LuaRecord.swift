import ArgusCore
import CArgusLua

/// A flat record of typed fields for the Lua bridge (see `argus_lua_record`):
/// per-call metadata without JSON encoding on one side and decoding on the other.
struct LuaRecord {
    private(set) var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(320) }

    private mutating func header(_ type: UInt8, _ key: StaticString, _ length: Int) {
        bytes.append(type)
        bytes.append(UInt8(truncatingIfNeeded: key.utf8CodeUnitCount))
        bytes.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        withUnsafeBytes(of: UInt32(length).littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func add(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        header(UInt8(ascii: "s"), key, value.utf8.count)
        bytes.append(contentsOf: value.utf8)
    }

    mutating func add(_ key: StaticString, _ value: Int64?) {
        guard let value else { return }
        header(UInt8(ascii: "i"), key, 8)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func add(_ key: StaticString, _ value: Int?) { add(key, value.map(Int64.init)) }

    mutating func add(_ key: StaticString, _ value: Double?) {
        guard let value else { return }
        header(UInt8(ascii: "n"), key, 8)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func add(_ key: StaticString, _ value: Bool) {
        header(UInt8(ascii: "b"), key, 1)
        bytes.append(value ? 1 : 0)
    }

    /// A value that is JSON text (decoded on the Lua side).
    mutating func add(_ key: StaticString, json: String?) {
        guard let json else { return }
        header(UInt8(ascii: "j"), key, json.utf8.count)
        bytes.append(contentsOf: json.utf8)
    }
}
