import ArgusSetup
import Testing

/// `servers.NAME.url` and `headers` in the configuration: a remote server `argus wrap NAME` reaches.
@Suite struct NamedRemoteServerTests {
    @Test func readsURLAndHeadersLeavingVariablesForTheSession() throws {
        let config = try Configuration.parse(
            #"""
            { "servers": { "github": { "url": "https://api.githubcopilot.com/mcp/",
                                       "headers": { "Authorization": "Bearer ${GITHUB_TOKEN}" } } } }
            """#, environment: [:])
        let server = try #require(try config.server("github"))
        #expect(server.url == "https://api.githubcopilot.com/mcp/")
        #expect(server.command == "")
        // Filled in by argus wrap when the session starts, never held in the configuration.
        #expect(server.headers == ["Authorization": "Bearer ${GITHUB_TOKEN}"])
    }

    @Test func commandAndURLTogetherIsAnError() {
        #expect(throws: Configuration.Error.self) {
            try Configuration.parse(#"{ "servers": { "x": { "url": "http://a/mcp", "command": "npx" } } }"#)
        }
        #expect(throws: Configuration.Error.self) {
            try Configuration.parse(#"{ "servers": { "x": { "command": "npx", "headers": { "A": "b" } } } }"#)
        }
    }
}
