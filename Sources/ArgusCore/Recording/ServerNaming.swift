/// A readable default name for a server from its command line, so runs list
/// `server-github` rather than `npx` or `docker`.
public enum ServerNaming {
    public static func defaultName(command: String, arguments: [String]) -> String {
        // Named from the redacted command line: a secret option's value must not become the name.
        let arguments = Redactor(policy: RedactionPolicy()).redactArguments(command: command, arguments) ?? arguments
        let base = basename(command)
        switch base {
        case "npx", "bunx", "pnpx", "uvx":
            if let package = firstPositional(arguments, valueOptions: ["--package", "-p", "--from", "--with", "--python"]) {
                return packageName(package)
            }
        case "pipx":
            if arguments.first == "run", let package = firstPositional(Array(arguments.dropFirst()), valueOptions: ["--spec"]) {
                return packageName(package)
            }
        case "uv":
            if let run = arguments.firstIndex(of: "run"),
                let target = firstPositional(
                    Array(arguments[(run + 1)...]), valueOptions: ["--with", "--python", "--directory", "--project", "--from"])
            {
                return stripExtension(basename(target))
            }
        case "docker", "podman", "nerdctl":
            if let run = arguments.firstIndex(of: "run"), let image = dockerImage(Array(arguments[(run + 1)...])) {
                return imageName(image)
            }
        default:
            if base.hasPrefix("python") || base == "node" || base == "deno" || base == "bun" || base == "ruby" {
                if let m = arguments.firstIndex(of: "-m"), m + 1 < arguments.count { return arguments[m + 1] }
                if let script = firstPositional(arguments.filter { $0 != "run" }, valueOptions: ["-c", "-e", "--require", "-r"]) {
                    return stripExtension(basename(script))
                }
            }
        }
        return base.isEmpty ? command : base
    }

    static func basename(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    static func stripExtension(_ name: String) -> String {
        for ext in [".py", ".js", ".mjs", ".cjs", ".ts", ".rb"] where name.hasSuffix(ext) {
            return String(name.dropLast(ext.count))
        }
        return name
    }

    /// `@scope/name@1.2` → `name`; `mcp-server-time==1.0` → `mcp-server-time`.
    static func packageName(_ spec: String) -> String {
        var name = spec
        if name.hasPrefix("@"), let slash = name.firstIndex(of: "/") { name = String(name[name.index(after: slash)...]) }
        if let at = name.firstIndex(of: "@") { name = String(name[..<at]) }
        for separator in ["==", ">=", "<=", "~="] {
            if let range = name.firstRange(of: separator) { name = String(name[..<range.lowerBound]) }
        }
        return name.isEmpty ? spec : name
    }

    /// `ghcr.io/github/github-mcp-server:latest` → `github-mcp-server`.
    static func imageName(_ image: String) -> String {
        var name = basename(image)
        if let at = name.firstIndex(of: "@") { name = String(name[..<at]) }
        if let colon = name.firstIndex(of: ":") { name = String(name[..<colon]) }
        return name.isEmpty ? image : name
    }

    static func firstPositional(_ arguments: [String], valueOptions: Set<String>) -> String? {
        var i = 0
        while i < arguments.count {
            let arg = arguments[i]
            if arg == "--" { return i + 1 < arguments.count ? arguments[i + 1] : nil }
            if arg.hasPrefix("-") {
                i += valueOptions.contains(arg) ? 2 : 1
                continue
            }
            return arg
        }
        return nil
    }

    /// Options of `docker run` that take a value as the next argument.
    static let dockerValueOptions: Set<String> = [
        "-e", "--env", "-v", "--volume", "--name", "-p", "--publish", "--network", "--net", "-w", "--workdir",
        "--entrypoint", "--env-file", "-u", "--user", "--mount", "-l", "--label", "--platform", "-m", "--memory",
        "--cpus", "--add-host", "-h", "--hostname", "--cap-add", "--cap-drop", "--device", "--dns", "--pull",
        "--restart", "--log-driver", "--log-opt", "--security-opt", "--tmpfs", "--ulimit", "--runtime", "--gpus",
        "--ipc", "--pid", "--cidfile", "--label-file", "--stop-signal", "--stop-timeout", "--shm-size",
    ]

    static func dockerImage(_ arguments: [String]) -> String? {
        var i = 0
        while i < arguments.count {
            let arg = arguments[i]
            if arg.hasPrefix("-") {
                i += (dockerValueOptions.contains(arg) && !arg.contains("=")) ? 2 : 1
                continue
            }
            return arg
        }
        return nil
    }
}
