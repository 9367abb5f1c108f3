import Foundation
import Testing
@testable import ArgusCore

/// The secret shapes the first redaction missed (issue 9 §3), each in the text it is usually found in.
@Suite struct SecretShapeTests {
    let redactor = Redactor(policy: RedactionPolicy())

    func redacted(_ text: String) -> String { redactor.redactText(text) ?? text }

    @Test(arguments: [
        // (text, the secret that must go, what must stay)
        ("Authorization: Basic dXNlcjpodW50ZXIyLWJhc2lj", "dXNlcjpodW50ZXIyLWJhc2lj", "Authorization: Basic "),
        ("curl https://alice:pa55-word@example.com/x", "pa55-word", "https://alice:"),
        ("GET /api?access_token=tok-9f8e7d6c5b4a&page=2", "tok-9f8e7d6c5b4a", "&page=2"),
        ("GET /api?page=2&token=abcdef123456", "abcdef123456", "page=2&token="),
        ("https://maps.example.com/v1?api_key=k3y-0987654321", "k3y-0987654321", "https://maps.example.com/v1?api_key="),
        ("connecting with password=correct-horse-7", "correct-horse-7", "connecting with password="),
        ("postgres://app:pg-secret-1@db.internal:5432/app", "pg-secret-1", "@db.internal:5432/app"),
        ("mysql://root:my-secret-2@127.0.0.1/db", "my-secret-2", "mysql://root:"),
        ("mongodb+srv://svc:mongo-secret-3@cluster0.example.net/db", "mongo-secret-3", "cluster0.example.net"),
        ("redis://:redis-secret-4@cache:6379/0", "redis-secret-4", "@cache:6379/0"),
        ("amqp://guest:amqp-secret-5@mq:5672/", "amqp-secret-5", "amqp://guest:"),
        ("postgres://u:p@ss-w0rd@db/app", "ss-w0rd", "@db/app"),
        ("X-Api-Key: xak-1234567890abcdef", "xak-1234567890abcdef", "X-Api-Key: "),
        ("x-api-key:xak-abcdef1234567890", "xak-abcdef1234567890", "x-api-key:"),
        ("Cookie: session=s3ss10n-c00kie; theme=dark", "s3ss10n-c00kie", "Cookie: "),
        ("Set-Cookie: sid=set-c00kie-value; Path=/; HttpOnly", "set-c00kie-value", "Set-Cookie: "),
        (
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "aws_secret_access_key = "
        ),
        ("AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", " "),
        // What lies between an access key id and its secret key is still scanned.
        ("AKIAIOSFODNN7EXAMPLE glpat-FAKE1234567890abcdefgh wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "glpat-FAKE1234567890abcdefgh", " "),
        ("AKIAIOSFODNN7EXAMPLE glpat-FAKE1234567890abcdefgh wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI", " "),
        ("maps key AIzaSyD-fake-key-0123456789abcdefghij", "AIzaSyD-fake-key-0123456789abcdefghij", "maps key "),
        ("gitlab glpat-FAKE1234567890abcdefgh", "glpat-FAKE1234567890abcdefgh", "gitlab "),
        ("hf hf_FAKEabcdefghijklmnopqrstuvwxyz0123", "hf_FAKEabcdefghijklmnopqrstuvwxyz0123", "hf "),
        ("npm npm_FAKEabcdefghijklmnopqrstuvwxyz012345", "npm_FAKEabcdefghijklmnopqrstuvwxyz012345", "npm "),
        ("export DB_PASS=db-pass-value-6", "db-pass-value-6", "export DB_PASS="),
        ("GH_PAT=gh-pat-value-7 ./run", "gh-pat-value-7", " ./run"),
        (#"{"jsonrpc":"2.0","params":{"password":"trunc-secret-8","x":"#, "trunc-secret-8", #""password":""#),
        (#"{"text":"{\"client_secret\":\"escaped-secret-9\"}"}"#, "escaped-secret-9", #"\"client_secret\":\""#),
        ("spring.datasource.password: yaml-secret-10", "yaml-secret-10", "spring.datasource.password: "),
    ])
    func findsTheShape(_ text: String, _ secret: String, _ kept: String) {
        let result = redacted(text)
        #expect(!result.contains(secret), "\(secret) survived in \(result)")
        #expect(result.contains(kept), "\(kept) was lost from \(result)")
        #expect(result.contains("[REDACTED"), "no marker in \(result)")
    }

    @Test(arguments: [
        "Basic usage: call the tool twice",
        "the key: it is in the drawer",
        "max_tokens=1000 and token_count: 42",
        "keyword=swift author=ada passage=3",
        "password_file=/etc/app/pass.txt",
        "https://example.com/path:with@colon",
        "auth_type: oauth",
        "Token: expired",
        "AKIA is a prefix",
        "hf_ alone and npm_ alone and glpat- alone",
        "a == b and password == other",
        #"{"passwordRequired": true, "token": null}"#,
    ])
    func leavesTheLookalike(_ text: String) {
        #expect(redactor.redactText(text) == nil, "changed: \(redacted(text))")
    }

    @Test func aSecretUsedAsAKeyIsReplaced() throws {
        let value = try JSONParser.parse(#"{"keys":{"sk-live-abcdefghijklmnopqrstuvwx":{"scopes":["read"]},"plain":1}}"#)
        let result = try #require(redactor.redact(value))
        let text = JSONWriter.string(result)
        #expect(!text.contains("sk-live-abcdefghijklmnopqrstuvwx"))
        #expect(result["keys"]?["[REDACTED:api-key]"]?["scopes"] == ["read"])
        #expect(result["keys"]?["plain"] == 1)
    }

    @Test func jsonInsideATextBlockIsRedactedAsJSON() throws {
        // FastMCP returns a dict twice: structuredContent, and JSON in content[0].text.
        let response = try JSONParser.parse(
            """
            {"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"{\\n  \\"password\\": \\"Gen3rated-Pw!\\",\\n  \\"length\\": 12\\n}"}],
             "structuredContent":{"password":"Gen3rated-Pw!","length":12}}}
            """)
        var hits: [RedactionHit] = []
        let result = try #require(Redactor(policy: RedactionPolicy()).redact(response, hits: &hits))
        #expect(!JSONWriter.string(result).contains("Gen3rated-Pw!"))
        let text = try #require(result["result"]?["content"]?[0]?["text"]?.stringValue)
        #expect(try JSONParser.parse(text) == ["password": "[REDACTED]", "length": 12])
        #expect(result["result"]?["structuredContent"]?["password"] == "[REDACTED]")
        // The pointer continues inside the text, as the replay diff reads it.
        #expect(hits.map(\.pointer).contains("/result/content/0/text/password"))
    }

    @Test func textThatIsNotJSONOrNeedsNothingIsLeftAsItWas() throws {
        let value = try JSONParser.parse(#"{"a":"{not json, password=hidden-value}","b":"{\n  \"ok\": true\n}"}"#)
        let result = try #require(redactor.redact(value))
        #expect(result["a"] == "{not json, password=[REDACTED:key-value]}")
        #expect(result["b"] == "{\n  \"ok\": true\n}")  // unchanged JSON keeps its formatting
    }

    @Test func commandLinesLoseTheirSecrets() {
        let r = Redactor(policy: RedactionPolicy())
        #expect(
            r.redactArguments(
                command: "server",
                [
                    "--api-key=ak-123456789", "--token", "tk-123456789", "-p", "hunter2-pw",
                    "--verbose", "https://u:url-pw-1@h/x", "API_TOKEN=env-tok-42",
                ])
                == [
                    "--api-key=[REDACTED:key-value]", "--token", "[REDACTED]", "-p", "[REDACTED]", "--verbose",
                    "https://u:[REDACTED:url-password]@h/x", "API_TOKEN=[REDACTED:key-value]",
                ])
        // Options that take no secret, ports and packages stay.
        #expect(r.redactArguments(command: "docker", ["run", "-i", "--rm", "-p", "8080:80", "-e", "GITHUB_TOKEN", "image"]) == nil)
        #expect(r.redactArguments(command: "/usr/bin/npx", ["-y", "-p", "typescript", "tsc"]) == nil)
        #expect(r.redactArguments(command: "server", ["--no-auth", "--token-file", "/run/secrets/t", "--key-id", "k1"]) == nil)
        #expect(r.redactArguments(command: "server", ["--token", "--verbose"]) == nil)  // a flag, not a value
    }

    @Test func argumentValuesAreRememberedForWhatTheServerPrints() {
        let r = Redactor(policy: RedactionPolicy())
        _ = r.redactArguments(command: "server", ["--token", "plain-token-value"])
        #expect(r.redactText("starting with plain-token-value") == "starting with [REDACTED:echo]")
    }

    @Test func environmentSecretsAreFoundByNameAndByShape() {
        let policy = RedactionPolicy.forEnvironment([
            "DB_PASS": "db-pass-1234", "GH_PAT": "gh-pat-5678", "PWD": "/home/ada/project",
            "DATABASE_URL": "postgres://app:url-secret-90@db/app", "HOME": "/home/ada",
        ])
        let r = Redactor(policy: policy)
        let text = "db-pass-1234 gh-pat-5678 url-secret-90 in /home/ada/project"
        let result = r.redactText(text) ?? text
        #expect(!result.contains("db-pass-1234") && !result.contains("gh-pat-5678") && !result.contains("url-secret-90"))
        #expect(result.hasSuffix("in /home/ada/project"))
    }
}

/// Values redacted under their key are remembered for the rest of the session
/// and scrubbed wherever they come back.
@Suite struct SecretMemoryTests {
    @Test func anEchoedPasswordIsScrubbedInLaterMessagesAndText() throws {
        let r = Redactor(policy: RedactionPolicy())
        _ = r.redact(try JSONParser.parse(#"{"params":{"arguments":{"password":"echo-me-123","secret":7654321}}}"#))
        let result = try JSONParser.parse(
            #"{"result":{"content":[{"type":"text","text":"logged in with echo-me-123"}]},"n":"pin 7654321"}"#)
        let redacted = try #require(r.redact(result))
        #expect(redacted["result"]?["content"]?[0]?["text"] == "logged in with [REDACTED:echo]")
        #expect(redacted["n"] == "pin [REDACTED:echo]")
        #expect(r.redactText("stderr: bad password echo-me-123") == "stderr: bad password [REDACTED:echo]")
    }

    @Test func aValueLearntLaterInAMessageIsScrubbedEarlierInIt() throws {
        let r = Redactor(policy: RedactionPolicy())
        let message = try JSONParser.parse(#"{"note":"uses early-secret-1","password":"early-secret-1"}"#)
        let result = try #require(r.redact(message))
        #expect(result["note"] == "uses [REDACTED:echo]")
        #expect(result["password"] == "[REDACTED]")
    }

    @Test func shortValuesAreNotRemembered() throws {
        let r = Redactor(policy: RedactionPolicy())
        _ = r.redact(try JSONParser.parse(#"{"password":"a","token":"abc12"}"#))
        #expect(r.memory.count == 0)
        #expect(r.redactText("a abc12") == nil)
    }

    @Test func memoryIsBoundedAndForgetsTheOldestFirst() throws {
        let r = Redactor(policy: RedactionPolicy())
        let total = SecretMemory.maxValues + 10
        for i in 0..<total {
            _ = r.redact(try JSONParser.parse(#"{"token":"remembered-\#(i)-value"}"#))
        }
        #expect(r.memory.count <= SecretMemory.maxValues)
        #expect(r.redactText("remembered-0-value") == nil)  // forgotten
        #expect(r.redactText("remembered-\(total - 1)-value") == "[REDACTED:echo]")
        // Values too long to search for are still redacted where their key is, only not remembered.
        let before = r.memory.count
        _ = r.redact(.object(JSONObject(["token": .string(String(repeating: "z", count: SecretMemory.maxValueBytes + 1))])))
        #expect(r.memory.count == before)
    }

    @Test func valuesFoundByNameInTextAreRemembered() {
        let r = Redactor(policy: RedactionPolicy())
        #expect(r.redactText("login password=from-stderr-1") == "login password=[REDACTED:key-value]")
        #expect(r.redactText("retrying from-stderr-1") == "retrying [REDACTED:echo]")
    }
}

/// The automaton against a naive search, on random needles and texts over a small
/// alphabet (so needles overlap, nest and share prefixes and suffixes).
@Suite struct NeedleMatcherTests {
    @Test func findsTheLongestNeedleEndingAtEveryPosition() {
        var random = SplitMix64(seed: 42)
        for _ in 0..<300 {
            let needles = (0..<(1 + random.next(below: 12))).map { _ in
                (0..<(1 + random.next(below: 6))).map { _ in UInt8(97 + random.next(below: 3)) }
            }
            let text = (0..<random.next(below: 80)).map { _ in UInt8(97 + random.next(below: 3)) }
            let matcher = NeedleMatcher(needles.enumerated().map { .init(bytes: $1, label: "\($0)") })
            var found: [NeedleMatcher.Match] = []
            text.withUnsafeBufferPointer { matcher.matches(in: $0, into: &found) }
            var expected: [Range<Int>] = []
            for end in 1...max(text.count, 1) where end <= text.count {
                let longest = needles.filter { $0.count <= end && Array(text[(end - $0.count)..<end]) == $0 }.map(\.count).max()
                if let longest { expected.append((end - longest)..<end) }
            }
            #expect(
                found.map(\.range) == expected,
                "needles \(needles.map { String(decoding: $0, as: UTF8.self) }), text \(String(decoding: text, as: UTF8.self))")
        }
    }
}

extension NeedleMatcherTests {
    @Test func aSingleValueSearchCoversEveryOccurrence() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<500 {
            let needle = (0..<(1 + random.next(below: 5))).map { _ in UInt8(97 + random.next(below: 2)) }
            let text = (0..<random.next(below: 60)).map { _ in UInt8(97 + random.next(below: 2)) }
            var expected: [Range<Int>] = []
            for start in 0..<max(text.count - needle.count + 1, 0) where Array(text[start..<(start + needle.count)]) == needle {
                let occurrence = start..<(start + needle.count)
                if let last = expected.last, last.upperBound >= start {
                    expected[expected.count - 1] = last.lowerBound..<occurrence.upperBound
                } else {
                    expected.append(occurrence)
                }
            }
            let value = KnownValue(needle)
            let found = text.withUnsafeBufferPointer { value.ranges(in: $0) }
            #expect(found == expected, "needle \(String(decoding: needle, as: UTF8.self)), text \(String(decoding: text, as: UTF8.self))")
            #expect(text.withUnsafeBufferPointer { value.occurs(in: $0) } == !expected.isEmpty)
        }
    }
}
