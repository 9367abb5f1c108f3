import Foundation

/// The user service that keeps an `argus proxy` running for an MCP client that connects over
/// HTTP: a systemd user unit, or a launchd agent. Printed, or written by `argus setup --write`.
public struct ProxyService: Sendable, Equatable {
    public enum Manager: String, CaseIterable, Sendable {
        case systemd
        case launchd
    }

    public var manager: Manager
    /// The client entry's name: the service is named after it.
    public var name: String
    public var argusPath: String
    /// What follows `argus`: `["proxy", "--listen", …, "--upstream", …]`.
    public var arguments: [String]
    /// Variables the `--header` values name, which the service must be given.
    public var environment: [String]
    /// Their values, with `--copy-env`.
    public var literalValues: [String: String] = [:]

    public init(manager: Manager, name: String, argusPath: String, arguments: [String], environment: [String]) {
        self.manager = manager
        self.name = name
        self.argusPath = argusPath
        self.arguments = arguments
        self.environment = environment
    }

    /// `argus-proxy-NAME` (systemd) or `dev.argus.proxy.NAME` (launchd), NAME kept to letters, digits, `-` and `_`.
    public var label: String {
        let slug = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "-" })
        return manager == .systemd ? "argus-proxy-\(slug)" : "dev.argus.proxy.\(slug)"
    }

    /// Where the user's service manager looks for it.
    public func path(home: String, environment: [String: String]) -> String {
        switch manager {
        case .systemd:
            let config = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.config"
            return "\(config)/systemd/user/\(label).service"
        case .launchd:
            return "\(home)/Library/LaunchAgents/\(label).plist"
        }
    }

    /// systemd reads the variables from a file of their own (0600), never from the unit.
    public func environmentFilePath(argusHome: String) -> String? {
        manager == .systemd && !environment.isEmpty ? "\(argusHome)/\(label).env" : nil
    }

    /// The environment file's text: `NAME=value`, or a placeholder to fill in.
    public var environmentFileText: String {
        environment.map { "\($0)=\(literalValues[$0] ?? "")" }.joined(separator: "\n") + "\n"
    }

    /// The unit or the agent.
    public func text(argusHome: String) -> String {
        switch manager {
        case .systemd:
            var lines = [
                "[Unit]", "Description=argus proxy for the MCP server \(name)", "After=network-online.target", "",
                "[Service]",
            ]
            if let file = environmentFilePath(argusHome: argusHome) { lines.append("EnvironmentFile=\(file)") }
            lines.append("ExecStart=" + ([argusPath] + arguments).map(Self.systemdQuoted).joined(separator: " "))
            lines += ["Restart=on-failure", "RestartSec=2", "", "[Install]", "WantedBy=default.target"]
            return lines.joined(separator: "\n") + "\n"
        case .launchd:
            var body = ["<key>Label</key>", "<string>\(Self.xml(label))</string>", "<key>ProgramArguments</key>", "<array>"]
            body += ([argusPath] + arguments).map { "  <string>\(Self.xml($0))</string>" }
            body.append("</array>")
            if !environment.isEmpty {
                body += ["<key>EnvironmentVariables</key>", "<dict>"]
                for variable in environment {
                    body += [
                        "  <key>\(Self.xml(variable))</key>",
                        "  <string>\(Self.xml(literalValues[variable] ?? "<set \(variable) here>"))</string>",
                    ]
                }
                body.append("</dict>")
            }
            body += [
                "<key>RunAtLoad</key>", "<true/>", "<key>KeepAlive</key>", "<true/>",
                "<key>StandardErrorPath</key>", "<string>\(Self.xml(argusHome))/\(Self.xml(label)).log</string>",
            ]
            return """
                <?xml version="1.0" encoding="UTF-8"?>
                <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
                <plist version="1.0">
                <dict>
                \(body.map { "  " + $0 }.joined(separator: "\n"))
                </dict>
                </plist>

                """
        }
    }

    /// The commands that start it now and at every login.
    public func startCommands(path: String) -> [String] {
        switch manager {
        case .systemd: return ["systemctl --user daemon-reload", "systemctl --user enable --now \(label).service"]
        case .launchd: return ["launchctl bootstrap gui/$(id -u) \(ClientSetup.shellQuoted([path]))"]
        }
    }

    /// One ExecStart word: double-quoted, with `$` and `%` doubled so that systemd passes
    /// `${VAR}` to argus (which expands it) instead of expanding it itself.
    static func systemdQuoted(_ word: String) -> String {
        var out = "\""
        for character in word {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "$": out += "$$"
            case "%": out += "%%"
            default: out.append(character)
            }
        }
        return out + "\""
    }

    static func xml(_ text: String) -> String {
        text.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;").replacing("\"", with: "&quot;")
    }
}
