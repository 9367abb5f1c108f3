import Testing
@testable import ArgusCore

/// JSONValue is ExpressibleByNilLiteral, so `cond ? nil : value` can mean JSON null instead of "absent".
/// These pin down how the compiler reads the forms the code base uses.
@Suite struct NilLiteralTests {
    @Test func aTernaryNilInAClosureBecomesJSONNullWhichIsWhyNonNullExists() {
        let object: JSONValue = ["a": nil, "b": 1]
        #expect(object["a"].flatMap { $0.isNull ? nil : $0 } == .some(.null))  // the trap
        #expect(object["a"]?.nonNull == nil)
        #expect(object["b"]?.nonNull == 1)
    }

    @Test func assigningATernaryNilToAMemberRemovesIt() {
        var message: JSONObject = ["error": ["code": 1]]
        message["result"] = message["result"] == nil ? nil : "stub"
        #expect(message["result"] == nil)
        #expect(message.members.count == 1)
    }
}
