@testable import ArgusRemote
import Testing

@Suite struct RemoteURLTests {
    @Test func showsNeitherCredentialsNorQuery() throws {
        let url = try RemoteURL("https://user:secret@api.example.com:8443/mcp?key=abc#x")
        #expect(url.host == "api.example.com")
        #expect(url.display == "https://api.example.com:8443/mcp")
        #expect(url.isHTTPS)
        #expect(RemoteWrapSession.defaultServerName(url: "http://[::1]:9000/mcp") == "::1")
    }

    @Test func givesTheServersAddressAndPortForSpans() {
        #expect(RemoteWrapSession.serverAddress(url: "https://user:pw@api.example.com:8443/mcp") == ("api.example.com", 8443))
        #expect(RemoteWrapSession.serverAddress(url: "https://api.example.com/mcp?port=1") == ("api.example.com", 443))
        #expect(RemoteWrapSession.serverAddress(url: "http://127.0.0.1/mcp") == ("127.0.0.1", 80))
        #expect(RemoteWrapSession.serverAddress(url: "http://[::1]:9000/mcp") == ("::1", 9000))
        #expect(RemoteWrapSession.serverAddress(url: "http://[::1]/mcp") == ("::1", 80))
    }

    @Test func aPlainHTTPUpstreamIsReachedDirectlyWithItsPathAndQuery() throws {
        let plain = try #require(PlainUpstream(try RemoteURL("http://127.0.0.1:8080/mcp?team=a#top"), proxied: false))
        #expect(plain.host == "127.0.0.1" && plain.port == 8080, "\(plain.host) \(plain.port)")
        #expect(plain.authority == "127.0.0.1:8080")
        #expect(plain.target == "/mcp?team=a")
        let bare = try #require(PlainUpstream(try RemoteURL("http://[::1]"), proxied: false))
        #expect(bare.host == "::1" && bare.port == 80 && bare.authority == "[::1]" && bare.target == "/", "\(bare)")
        let queryOnly = try #require(PlainUpstream(try RemoteURL("http://gateway?x=1"), proxied: false))
        #expect(queryOnly.target == "/?x=1")
    }

    @Test func tlsAProxyOrCredentialsLeaveTheUpstreamToAsyncHTTPClient() throws {
        #expect(PlainUpstream(try RemoteURL("https://api.example.com/mcp"), proxied: false) == nil)
        #expect(PlainUpstream(try RemoteURL("http://api.example.com/mcp"), proxied: true) == nil)
        #expect(PlainUpstream(try RemoteURL("http://user:secret@api.example.com/mcp"), proxied: false) == nil)
    }

    @Test func refusesWhatIsNotHTTP() {
        #expect(throws: RemoteError.self) { try RemoteURL("ftp://example.com/mcp") }
        #expect(throws: RemoteError.self) { try RemoteURL("api.example.com/mcp") }
        #expect(throws: RemoteError.self) { try RemoteURL("http:///mcp") }
    }

    @Test func takesTheProxyFromTheEnvironmentUnlessExempt() throws {
        let target = try RemoteURL("https://api.example.com/mcp")
        let environment = ["HTTPS_PROXY": "http://proxy.local:3128", "HTTP_PROXY": "http://other:1"]
        #expect(try ProxySetting.fromEnvironment(environment, for: target) != nil)
        #expect(
            try ProxySetting.fromEnvironment(
                environment.merging(["NO_PROXY": "localhost,.example.com"]) { $1 },
                for: target) == nil)
        #expect(try ProxySetting.fromEnvironment([:], for: target) == nil)
        #expect(throws: RemoteError.self) { try ProxySetting.fromEnvironment(["HTTPS_PROXY": "http://proxy:port"], for: target) }
    }
}

@Suite struct ChallengeTests {
    @Test func splitsABearerChallengeIntoItsParameters() {
        let value = Challenge.parse(
            #"Bearer resource_metadata="https://x.example/.well-known/oauth-protected-resource/mcp", scope="a b", error=invalid_token"#)
        #expect(value["scheme"]?.stringValue == "Bearer")
        #expect(value["resource_metadata"]?.stringValue == "https://x.example/.well-known/oauth-protected-resource/mcp")
        #expect(value["scope"]?.stringValue == "a b")
        #expect(value["error"]?.stringValue == "invalid_token")
    }

    @Test func keepsWhatIsNotParameters() {
        #expect(Challenge.parse("Basic realm=\"api\"")["realm"]?.stringValue == "api")
        #expect(Challenge.parse("Negotiate abc def")["value"]?.stringValue == "abc def")
    }
}
