import Testing
@testable import ArgusCore

@Suite struct JSONDiffTests {
    func parse(_ text: String) -> JSONValue { try! JSONParser.parse(text) }

    func summary(_ changes: [JSONDiff.Change]) -> [String] { changes.map { "\($0.kind.rawValue) \($0.pointer)" } }

    @Test func equalValuesHaveNoChangesWhateverTheKeyOrder() {
        #expect(JSONDiff.diff(parse(#"{"a":1,"b":[1,2,{"c":null}]}"#), parse(#"{"b":[1,2,{"c":null}],"a":1.0}"#)).isEmpty)
    }

    @Test func addedRemovedAndChangedMembersHavePointers() {
        let changes = JSONDiff.diff(parse(#"{"a":1,"gone":true,"n":{"x":"y"},"s/l":1}"#), parse(#"{"a":2,"new":[],"n":{"x":"z"},"s/l":2}"#))
        #expect(summary(changes) == ["changed /a", "removed /gone", "changed /n/x", "changed /s~1l", "added /new"])
        #expect(changes[0].before == 1 && changes[0].after == 2)
    }

    @Test func anInsertedArrayElementIsOneChange() {
        let before = parse(#"[{"id":1},{"id":2},{"id":3},{"id":4}]"#)
        let after = parse(#"[{"id":1},{"id":9},{"id":2},{"id":3},{"id":4}]"#)
        #expect(summary(JSONDiff.diff(before, after)) == ["added /1"])
        #expect(summary(JSONDiff.diff(after, before)) == ["removed /1"])
        // A changed element stays a change of its inner field.
        #expect(summary(JSONDiff.diff(parse(#"[1,{"v":"a"},3]"#), parse(#"[1,{"v":"b"},3]"#))) == ["changed /1/v"])
    }

    @Test func longTextIsDiffedByLine() {
        let before = JSONValue.string("line one\nline two\nline three")
        let after = JSONValue.string("line one\nline 2\nline three\nline four")
        let change = JSONDiff.diff(["text": before], ["text": after])
        #expect(change.count == 1)
        let lines = change[0].lines?.filter { $0.kind != .same }.map { "\($0.kind.rawValue): \($0.text)" }
        #expect(lines == ["removed: line two", "added: line 2", "added: line four"])
        #expect(JSONDiff.diff(["t": "short"], ["t": "other"])[0].lines == nil)
    }

    @Test func jsonInsideTextIsComparedAsJSON() {
        let before: JSONValue = ["content": [["type": "text", "text": #"{"temp": 6, "at": "10:00"}"#]]]
        let after: JSONValue = ["content": [["type": "text", "text": #"{"at": "10:05", "temp": 6}"#]]]
        #expect(summary(JSONDiff.diff(before, after)) == ["changed /content/0/text/at"])
        #expect(JSONDiff.diff(before, after, ignoring: IgnoreRules(["at"])).isEmpty)
    }

    @Test func ignoreRulesTakePointersAndGlobs() {
        let before = parse(#"{"result":{"ts":"1","items":[{"id":"a","at":"x"},{"id":"b","at":"y"}],"meta":{"request_id":"r1"}}}"#)
        let after = parse(#"{"result":{"ts":"2","items":[{"id":"a","at":"z"},{"id":"b","at":"w"}],"meta":{"request_id":"r2"}}}"#)
        #expect(JSONDiff.diff(before, after).count == 4)
        #expect(JSONDiff.diff(before, after, ignoring: IgnoreRules(["/result/ts", "/result/items/*/at", "**/request_*"])).isEmpty)
        #expect(
            summary(JSONDiff.diff(before, after, ignoring: IgnoreRules(["/result/ts", "/result/items/0/at", "request_id"])))
                == ["changed /result/items/1/at"])
        #expect(IgnoreRules(["/a/**"]).matches(["a", "b", "c"]))
        #expect(!IgnoreRules(["/a/*"]).matches(["a", "b", "c"]))
        #expect(IgnoreRules(["/a~1b"]).matches(["a/b"]))
        #expect(IgnoreRules(["/a?"]).matches(["a?"]) && !IgnoreRules(["/a?"]).matches(["ab"]))  // `?` is literal in keys
    }

    @Test func typeChangesAreChanges() {
        #expect(summary(JSONDiff.diff(["v": "1"], ["v": 1])) == ["changed /v"])
        #expect(summary(JSONDiff.diff(["v": [:]], ["v": []])) == ["changed /v"])
    }
}

@Suite struct SchemaCheckTests {
    let schema: JSONValue = [
        "type": "object", "required": ["city"], "additionalProperties": false,
        "properties": [
            "city": ["type": "string"], "days": ["type": "integer"],
            "units": ["enum": ["c", "f"]], "tags": ["type": "array", "items": ["type": "string"]],
        ],
    ]

    func parse(_ text: String) -> JSONValue { try! JSONParser.parse(text) }

    @Test func fittingArgumentsPass() {
        #expect(SchemaCheck.problems(["city": "Oslo", "days": 3, "units": "c", "tags": ["a"]], schema: schema).isEmpty)
        #expect(SchemaCheck.problems(parse(#"{"city":"Oslo","days":3.0}"#), schema: schema).isEmpty)
    }

    @Test func mistakesAreNamed() {
        #expect(
            SchemaCheck.problems(parse(#"{"days":1.5,"units":"k","tags":[1],"extra":true}"#), schema: schema) == [
                "arguments: missing required \"city\"",
                "arguments/days: expected integer, got a number",
                "arguments/units: must be one of \"c\", \"f\"",
                "arguments/tags/0: expected string, got a number",
                "arguments: unexpected \"extra\"",
            ])
    }

    @Test func unknownKeywordsPass() {
        #expect(SchemaCheck.problems(["x": 1], schema: ["oneOf": [["type": "string"]], "x-vendor": true]).isEmpty)
    }
}
