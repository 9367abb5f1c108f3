import Testing
@testable import ArgusCore

@Suite struct JSONMergePatchTests {
    func parse(_ text: String) -> JSONValue { try! JSONParser.parse(text) }

    /// RFC 7386, Appendix A: every example, original + patch = result.
    @Test(arguments: [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
        (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
        (#"{"a":"foo"}"#, #"null"#, #"null"#),
        (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"e":null,"a":1}"#),
        (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ])
    func theRFCsExamplesApply(original: String, patch: String, result: String) {
        #expect(JSONMergePatch.apply(parse(patch), to: parse(original)).sameValue(as: parse(result)))
    }

    /// RFC 7386, section 3: the worked example.
    @Test func theRFCsWorkedExampleApplies() {
        let original = parse(
            #"""
            {"title": "Goodbye!", "author": {"givenName": "John", "familyName": "Doe"},
             "tags": ["example", "sample"], "content": "This will be unchanged"}
            """#)
        let patch = parse(
            #"""
            {"title": "Hello!", "phoneNumber": "+01-123-456-7890", "author": {"familyName": null}, "tags": ["example"]}
            """#)
        let result = parse(
            #"""
            {"title": "Hello!", "author": {"givenName": "John"}, "tags": ["example"],
             "content": "This will be unchanged", "phoneNumber": "+01-123-456-7890"}
            """#)
        #expect(JSONMergePatch.apply(patch, to: original).sameValue(as: result))
    }

    @Test func mergePatchFollowsRFC7386() {
        #expect(
            JSONMergePatch.apply(parse(#"{"a":"z","c":{"f":null}}"#), to: parse(#"{"a":"b","c":{"d":"e","f":"g"}}"#))
                .sameValue(as: parse(#"{"a":"z","c":{"d":"e"}}"#)))
        #expect(JSONMergePatch.apply(parse(#"{"a":[3]}"#), to: parse(#"{"a":[1,2]}"#)).sameValue(as: parse(#"{"a":[3]}"#)))
        #expect(JSONMergePatch.apply(parse(#"["c"]"#), to: parse(#"{"a":"b"}"#)).sameValue(as: parse(#"["c"]"#)))
        #expect(JSONMergePatch.apply(parse(#"{"a":{"b":1}}"#), to: parse(#"[1]"#)).sameValue(as: parse(#"{"a":{"b":1}}"#)))
    }

    @Test func thePatchBetweenTwoValuesTurnsOneIntoTheOther() {
        #expect(JSONMergePatch.patch(from: parse(#"{"city":"Lisbon"}"#), to: parse(#"{"city":"Lisbon"}"#)) == nil)
        let original = parse(#"{"a":1,"b":{"c":2,"d":3},"e":[1],"gone":true}"#)
        let edited = parse(#"{"a":1,"b":{"c":5,"d":3},"e":[1,2],"new":"x"}"#)
        let patch = JSONMergePatch.patch(from: original, to: edited)
        #expect(patch?.sameValue(as: parse(#"{"b":{"c":5},"e":[1,2],"gone":null,"new":"x"}"#)) == true)
        #expect(JSONMergePatch.apply(patch!, to: original).sameValue(as: edited))
    }

    @Test func aPatchReplacesTheValuesItNamesAndWhatTheyHold() {
        let patch = parse(#"{"password":"pw","nested":{"token":"t"},"list":[1]}"#)
        #expect(JSONMergePatch.replaces(patch, valueAt: ["password"]))
        #expect(JSONMergePatch.replaces(patch, valueAt: ["nested", "token"]))
        #expect(!JSONMergePatch.replaces(patch, valueAt: ["nested", "other"]))
        #expect(JSONMergePatch.replaces(patch, valueAt: ["list", "0"]))  // the array is replaced whole
        #expect(!JSONMergePatch.replaces(patch, valueAt: ["note"]))
        #expect(JSONMergePatch.replaces(parse(#"{"gone":null}"#), valueAt: ["gone", "deep"]))
    }
}
