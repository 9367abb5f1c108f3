/// Reads a hand-written JSON document (the config, a faults file) strictly: each field's type
/// and range is checked, and an unknown field is an error listing the allowed ones, so a typo
/// never silently does nothing. Keys starting with `//` (comments) or `$` (`$schema`) are
/// allowed anywhere. Errors name where they are (`faults[1].kind`); `fail` makes the reader's
/// own error type from that place and a message.
public protocol StrictJSONReading {
    associatedtype Failure: Error
    func fail(_ path: String, _ message: String) -> Failure
}

extension StrictJSONReading {
    public func object(_ value: JSONValue, _ path: String, allowed: Set<String>) throws(Failure) -> JSONObject {
        guard case .object(let object) = value else { throw fail(path, "expected an object") }
        for key in object.keys where !allowed.contains(key) && !key.hasPrefix("//") && !key.hasPrefix("$") {
            throw fail(
                path.isEmpty ? key : "\(path).\(key)", "unknown field (expected one of: \(allowed.sorted().joined(separator: ", ")))")
        }
        return object
    }

    public func string(_ value: JSONValue, _ path: String) throws(Failure) -> String {
        guard let text = value.stringValue else { throw fail(path, "expected a string") }
        return text
    }

    public func bool(_ value: JSONValue, _ path: String) throws(Failure) -> Bool {
        guard let flag = value.boolValue else { throw fail(path, "expected true or false") }
        return flag
    }

    public func integer(_ value: JSONValue, _ path: String, minimum: Int = 0) throws(Failure) -> Int {
        guard let number = value.intValue else { throw fail(path, "expected an integer") }
        if number < minimum { throw fail(path, "must be at least \(minimum)") }
        return number
    }

    public func number(_ value: JSONValue, _ path: String, minimum: Double = 0) throws(Failure) -> Double {
        guard let number = value.doubleValue else { throw fail(path, "expected a number") }
        if number < minimum { throw fail(path, "must be at least \(String(oneDecimal: minimum))") }
        return number
    }

    public func number(_ value: JSONValue, _ path: String, in range: ClosedRange<Double>) throws(Failure) -> Double {
        guard let number = value.doubleValue else { throw fail(path, "expected a number") }
        guard range.contains(number) else {
            throw fail(path, "must be between \(Self.bound(range.lowerBound)) and \(Self.bound(range.upperBound))")
        }
        return number
    }

    /// A list of strings; with `orOne`, a single string stands for a list of one.
    public func strings(_ value: JSONValue, _ path: String, orOne: Bool = false) throws(Failure) -> [String] {
        if orOne, let one = value.stringValue { return [one] }
        guard let items = value.arrayValue else {
            throw fail(path, orOne ? "expected a string or a list of strings" : "expected a list of strings")
        }
        var result: [String] = []
        for (i, item) in items.enumerated() { result.append(try string(item, "\(path)[\(i)]")) }
        return result
    }

    /// A range's bound as written in a faults file: `1`, not `1.0`.
    private static func bound(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
    }
}
