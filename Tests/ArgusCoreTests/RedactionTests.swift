import Testing
@testable import ArgusCore

@Suite struct SecretKeyMatcherTests {
    let matcher = SecretKeyMatcher()

    @Test(arguments: [
        "githubToken", "X-Api-Key", "api_key", "apiKey", "APIKey", "apikey", "password", "PASSWORD", "db_password",
        "passwd", "Authorization", "cookie", "Set-Cookie", "client_secret", "clientSecret", "access_token",
        "refreshToken", "private_key", "privateKey", "credentials", "session_id", "sessionId", "SESSIONID",
        "GITHUB_TOKEN", "password_confirmation", "secret",
        // Short forms, whole segments only.
        "pass", "db_pass", "DB_PASS", "smtpPass", "pwd", "MYSQL_PWD", "auth", "x-auth", "proxy_auth", "key", "stripe_key",
        "encryptionKey", "AWS_SECRET_ACCESS_KEY", "SecretAccessKey", "GH_PAT", "gitlab_pat", "--api-key", "license_key",
    ])
    func secretKeys(_ key: String) {
        #expect(matcher.isSecret(key), "\(key) should be secret")
    }

    @Test(arguments: [
        "author", "keyword", "max_tokens", "maxTokens", "input_tokens", "token_count", "tokenizer", "progressToken",
        "api_key_name", "password_file", "secret_name", "monkey", "session", "authority", "tokens_used",
        "passwordRequired", "description", "name", "id",
        // Words that contain a short form, and keys that name rather than hold.
        "keys", "passage", "passenger", "compass", "bypass", "authors", "authenticate", "path", "pattern", "patch",
        "keyboard", "monkeys", "primary_key", "sort_key", "partitionKey", "foreign_key", "public_key", "publicKey",
        "cache_key", "key_id", "keyId", "key_name", "auth_type", "auth_method", "auth_url", "SSH_AUTH_SOCK",
        "PASSWORD_STORE_DIR", "key_path", "pass_count",
    ])
    func ordinaryKeys(_ key: String) {
        #expect(!matcher.isSecret(key), "\(key) should not be secret")
    }

    @Test func theWorkingDirectoryIsNotASecretVariable() {
        #expect(!matcher.isSecretVariable("PWD"))
        #expect(!matcher.isSecretVariable("OLDPWD"))
        #expect(matcher.isSecretVariable("MYSQL_PWD"))
        #expect(matcher.isSecretVariable("DB_PASS"))
    }

    @Test func extraKeysMatchBySegments() {
        let custom = SecretKeyMatcher(extraKeys: ["ssn", "account_number"])
        #expect(custom.isSecret("user_ssn"))
        #expect(custom.isSecret("SSN"))
        #expect(custom.isSecret("accountNumber"))
        #expect(!custom.isSecret("account"))
    }

    @Test func segmentsSplitEveryConvention() {
        #expect(SecretKeyMatcher.segments("X-Api-Key") == ["x", "api", "key"])
        #expect(SecretKeyMatcher.segments("APIKey") == ["api", "key"])
        #expect(SecretKeyMatcher.segments("githubToken") == ["github", "token"])
        #expect(SecretKeyMatcher.segments("snake_case.dotted kebab-case") == ["snake", "case", "dotted", "kebab", "case"])
    }
}

@Suite struct SecretPatternTests {
    func kinds(_ text: String) -> [String] { SecretPatterns.matches(in: text).map(\.kind) }

    @Test func findsEachKnownShape() {
        #expect(kinds("Authorization: Bearer abc123def456ghi") == ["bearer"])
        #expect(kinds("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U") == ["jwt"])
        #expect(kinds("ghp_abcdefghijklmnopqrstuvwxyz0123456789") == ["github-token"])
        #expect(kinds("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz") == ["github-token"])
        #expect(kinds("key AKIAIOSFODNN7EXAMPLE here") == ["aws-access-key"])
        #expect(kinds("xoxb-123456789012-abcdefghijkl") == ["slack-token"])
        #expect(kinds("OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwx") == ["api-key"])
        #expect(kinds("stripe sk_live_abcdefghijklmnop1234") == ["api-key"])
        #expect(kinds("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----") == ["private-key"])
        #expect(kinds("postgres://admin:hunter2@db.example.com/app") == ["url-password"])
    }

    @Test func leavesLookalikesAlone() {
        #expect(kinds("bearer bonds are instruments") == [])
        #expect(kinds("task-abcdefghijklmnopqrstuvwxyz") == [])
        #expect(kinds("the ghp_ prefix alone") == [])
        #expect(kinds("AKIA is a prefix") == [])
        #expect(kinds("https://example.com/path:with@colon") == [])
        #expect(kinds("-----BEGIN PUBLIC KEY-----") == [])
        #expect(kinds("eyJhbGciOi alone") == [])
    }

    @Test func replacesOnlyTheSecretPart() {
        let redactor = Redactor(policy: RedactionPolicy())
        #expect(
            redactor.redactText("curl -H 'Authorization: Bearer abc123def456ghi'") == "curl -H 'Authorization: Bearer [REDACTED:bearer]'")
        #expect(redactor.redactText("postgres://admin:hunter2@db/app") == "postgres://admin:[REDACTED:url-password]@db/app")
        #expect(redactor.redactText("nothing to see") == nil)
    }
}

@Suite struct RedactorTests {
    @Test func redactsKeysValuesAndEnvironmentSecretsAnywhere() throws {
        let policy = RedactionPolicy.forEnvironment(["MY_SERVICE_TOKEN": "s3cr3t-value-42", "HOME": "/root", "SHORT_TOKEN": "abc"])
        let redactor = Redactor(policy: policy)
        let message = try JSONParser.parse(
            """
            {"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"login","arguments":{
              "user":"ada","password":"hunter2","session_id":1234,"enabled":true,"nested":{"apiKey":["a","b"]},
              "note":"uses s3cr3t-value-42 and abc","progressToken":"p1"}}}
            """)
        var hits: [RedactionHit] = []
        let redacted = try #require(redactor.redact(message, hits: &hits))
        let args = try #require(redacted["params"]?["arguments"])
        #expect(args["user"] == "ada")
        #expect(args["password"] == "[REDACTED]")
        #expect(args["session_id"] == "[REDACTED]")
        #expect(args["enabled"] == true)
        #expect(args["nested"]?["apiKey"] == ["[REDACTED]", "[REDACTED]"])
        #expect(args["note"] == "uses [REDACTED:env:MY_SERVICE_TOKEN] and abc")  // "abc" is too short to be treated as a secret
        #expect(args["progressToken"] == "p1")
        #expect(redacted.objectValue?.keys == message.objectValue?.keys)
        #expect(
            Set(hits.map(\.pointer)) == [
                "/params/arguments/password", "/params/arguments/session_id",
                "/params/arguments/nested/apiKey/0", "/params/arguments/nested/apiKey/1",
                "/params/arguments/note",
            ])
        #expect(hits.first { $0.pointer == "/params/arguments/password" }?.original == "hunter2")
    }

    @Test func schemasKeepTheirPropertyNames() throws {
        let list = try JSONParser.parse(
            """
            {"tools":[{"name":"login","inputSchema":{"type":"object","properties":{"password":{"type":"string","description":"Your password"}}}}]}
            """)
        #expect(Redactor(policy: RedactionPolicy()).redact(list) == nil)
    }

    @Test func untouchedMessagesReturnNil() throws {
        let message = try JSONParser.parse(#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hi"}]}}"#)
        #expect(Redactor(policy: RedactionPolicy()).redact(message) == nil)
    }

    @Test func disabledPolicyRedactsNothing() throws {
        let message = try JSONParser.parse(#"{"password":"hunter2"}"#)
        #expect(Redactor(policy: RedactionPolicy(enabled: false)).redact(message) == nil)
    }

    @Test func pointersEscapeSlashesAndTildes() {
        #expect(Redactor.pointer(["a/b", "c~d", "0"]) == "/a~1b/c~0d/0")
    }
}
