import ArgusCore
import Foundation
import Testing
@testable import ArgusSetup

@Suite struct ProxyServiceTests {
    func service(_ manager: ProxyService.Manager) -> ProxyService {
        ProxyService(
            manager: manager, name: "linear app", argusPath: "/opt/argus 1/argus",
            arguments: [
                "proxy", "--listen", "127.0.0.1:8931", "--upstream", "https://mcp.linear.app/mcp?a=1&b=%20",
                "--header", "Authorization:Bearer ${LINEAR_TOKEN}",
            ],
            environment: ["LINEAR_TOKEN"])
    }

    @Test func theSystemdUnitLeavesVariablesToArgusAndKeepsValuesOutOfTheUnit() {
        let unit = service(.systemd)
        let text = unit.text(argusHome: "/home/u/.argus")
        #expect(unit.label == "argus-proxy-linear-app")
        #expect(unit.path(home: "/home/u", environment: [:]) == "/home/u/.config/systemd/user/argus-proxy-linear-app.service")
        // `$` and `%` doubled: systemd hands argus `${LINEAR_TOKEN}` and `%20` as written.
        #expect(
            text.contains(
                #"ExecStart="/opt/argus 1/argus" "proxy" "--listen" "127.0.0.1:8931" "--upstream" "#
                    + #""https://mcp.linear.app/mcp?a=1&b=%%20" "--header" "Authorization:Bearer $${LINEAR_TOKEN}""#), "\(text)")
        #expect(text.contains("EnvironmentFile=/home/u/.argus/argus-proxy-linear-app.env"))
        #expect(unit.environmentFileText == "LINEAR_TOKEN=\n")
        var copied = unit
        copied.literalValues = ["LINEAR_TOKEN": "lin_123"]
        #expect(copied.environmentFileText == "LINEAR_TOKEN=lin_123\n" && !copied.text(argusHome: "/h").contains("lin_123"))
    }

    @Test func theLaunchdAgentIsAPropertyListWithEscapedValues() throws {
        var agent = service(.launchd)
        agent.literalValues = ["LINEAR_TOKEN": "a<b&c"]
        let text = agent.text(argusHome: "/Users/u/.argus")
        #expect(agent.path(home: "/Users/u", environment: [:]) == "/Users/u/Library/LaunchAgents/dev.argus.proxy.linear-app.plist")
        let plist = try #require(try PropertyListSerialization.propertyList(from: Data(text.utf8), format: nil) as? [String: Any])
        #expect(plist["Label"] as? String == "dev.argus.proxy.linear-app")
        #expect(plist["ProgramArguments"] as? [String] == ["/opt/argus 1/argus"] + agent.arguments)
        #expect(plist["EnvironmentVariables"] as? [String: String] == ["LINEAR_TOKEN": "a<b&c"])
        #expect(plist["KeepAlive"] as? Bool == true && plist["RunAtLoad"] as? Bool == true)
    }

    @Test func httpEntriesInEachClientsOwnForm() throws {
        var entry = ClientEntry(name: "linear", argusPath: "/usr/bin/argus", arguments: ["proxy"], environment: [])
        entry.url = "http://127.0.0.1:8931/mcp"
        #expect(entry.jsonServer(for: .claudeCode) == ["type": "http", "url": "http://127.0.0.1:8931/mcp"])
        #expect(entry.jsonServer(for: .vscode) == ["type": "http", "url": "http://127.0.0.1:8931/mcp"])
        #expect(entry.jsonServer(for: .cursor) == ["url": "http://127.0.0.1:8931/mcp"])
        #expect(CodexTOML.table(entry) == "[mcp_servers.linear]\nurl = \"http://127.0.0.1:8931/mcp\"\n")
        let merged = try ClientSetup.merge(entry, for: .cursor, into: #"{"mcpServers": {"other": {"command": "x"}}}"#, path: "mcp.json")
        let root = try JSONParser.parse(merged.text)
        #expect(root["mcpServers"]?["linear"] == ["url": "http://127.0.0.1:8931/mcp"] && root["mcpServers"]?["other"] != nil)
    }
}
