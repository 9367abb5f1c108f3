import Testing
@testable import ArgusCore

@Suite struct RedactableMessageTests {
    let text = #"{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "q", "arguments": {"b": 1.0, "a": "x"}}}"#

    func message() throws -> RedactableMessage {
        RedactableMessage(try #require(JSONParser.parse(text).objectValue), text: text)
    }

    @Test func anUnchangedPartKeepsTheOriginalBytes() throws {
        var m = try message()
        m.replace("params", with: ["arguments": ["a": "x", "b": 1], "name": "q"])
        #expect(!m.isChanged)
        #expect(m.text == text)
    }

    @Test func aReplacedPartKeepsTheOriginalKeyOrder() throws {
        var m = try message()
        m.replace("params", with: ["z": true, "arguments": ["c": 3, "a": "[x]", "b": .number("1.0")], "name": "q"])
        #expect(m.isChanged)
        #expect(
            m.text
                == #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"q","arguments":{"b":1.0,"a":"[x]","c":3},"z":true}}"#)
    }

    @Test func theLastReplacementOfAPartWins() throws {
        var m = try message()
        m.replace("params", with: ["name": "changed"])
        m.replace("params", with: ["name": "q", "arguments": ["b": .number("1.0"), "a": "x"]])
        #expect(!m.isChanged)
        #expect(m.text == text)
    }

    @Test func onlyParamsResultAndErrorCanBeReplaced() throws {
        var m = try message()
        m.replace("id", with: 2)
        m.replace("method", with: "other")
        #expect(!m.isChanged)
        m.replace("result", with: ["added": true])
        #expect(m.object["result"] == ["added": true])
    }
}
