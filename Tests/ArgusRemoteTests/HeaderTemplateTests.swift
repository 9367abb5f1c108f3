import ArgusRemote
import Testing

@Suite struct HeaderTemplateTests {
    @Test func parsesNameAndValueLikeCurl() throws {
        let header = try HeaderTemplate.parse("Authorization: Bearer ${GITHUB_TOKEN}")
        #expect(header.name == "Authorization")
        #expect(header.value == "Bearer ${GITHUB_TOKEN}")
        #expect(header.variables == ["GITHUB_TOKEN"])
    }

    @Test func fillsVariablesFromTheEnvironment() throws {
        let header = try HeaderTemplate.parse("X-Key:${A}-${B}!")
        #expect(try header.expanded(["A": "one", "B": "two"]) == "one-two!")
    }

    @Test func aMissingVariableIsNamed() throws {
        let header = try HeaderTemplate.parse("Authorization:Bearer ${NOPE}")
        #expect(throws: RemoteError.badHeader("--header Authorization uses ${NOPE}, which is not set in the environment")) {
            try header.expanded([:])
        }
    }

    @Test func refusesWhatWouldSplitTheRequest() throws {
        #expect(throws: RemoteError.self) { try HeaderTemplate.parse("no colon here") }
        #expect(throws: RemoteError.self) { try HeaderTemplate.parse("Bad Name: x") }
        let header = try HeaderTemplate.parse("X-Key:${V}")
        #expect(throws: RemoteError.self) { try header.expanded(["V": "a\r\nInjected: yes"]) }
    }
}
