import Foundation

/// `docker run` / `podman run` read the way those tools read it, to find the
/// variables the container takes from the environment of whoever starts it
/// (`-e NAME`, `--env NAME`, names without a value in an `--env-file`): an MCP
/// client must supply those, so `argus setup` passes them through.
///
/// Both tools parse with pflag-style rules: an option either takes a value or is a
/// flag, and only a table says which, so one is kept here (from `docker run --help`
/// and `podman run --help`). Values come as `--opt value`, `--opt=value`, `-o value`
/// or `-ovalue`; short flags cluster (`-it`, `-ie NAME`); the first argument that is
/// not an option is the image, and everything after it belongs to the container.
public struct ContainerRunOptions: Sendable, Equatable {
    /// Variables forwarded by name, in order of appearance.
    public var forwardedVariables: [String] = []
    /// The image, when the command is a container run.
    public var image: String?

    /// nil when `command` is not `docker run` / `podman run` (or `… container run`).
    public static func parse(_ command: [String], readFile: (String) -> String? = ContainerRunOptions.readFile)
        -> ContainerRunOptions?
    {
        guard let tool = command.first.map({ ($0 as NSString).lastPathComponent }), tool == "docker" || tool == "podman",
            var i = runArgumentsStart(command)
        else { return nil }
        var result = ContainerRunOptions()
        func forward(_ setting: String) {
            // NAME forwards; NAME=value sets a value the client does not need to supply.
            guard !setting.contains("="), isVariableName(setting), !result.forwardedVariables.contains(setting) else { return }
            result.forwardedVariables.append(setting)
        }
        func take(_ option: String, _ value: String) {
            switch option {
            case "-e", "--env": forward(value)
            case "--env-file":
                for line in (readFile(value) ?? "").split(whereSeparator: \.isNewline) {
                    let entry = line.trimmingCharacters(in: .whitespaces)
                    if !entry.isEmpty && !entry.hasPrefix("#") { forward(entry) }
                }
            default: break
            }
        }
        while i < command.count {
            let argument = command[i]
            i += 1
            if argument == "--" { break }
            if argument.hasPrefix("--") {
                if let eq = argument.firstIndex(of: "=") {
                    take(String(argument[..<eq]), String(argument[argument.index(after: eq)...]))
                } else if longWithValue.contains(argument), i < command.count {
                    take(argument, command[i])
                    i += 1
                }
                continue  // a flag (known or not)
            }
            if argument.hasPrefix("-") && argument.count > 1 {
                // A cluster of short options; the first one that takes a value takes the rest, or the next argument.
                var letters = argument.dropFirst()
                while let letter = letters.first {
                    letters = letters.dropFirst()
                    let option = "-" + String(letter)
                    guard shortWithValue.contains(option) else { continue }
                    if !letters.isEmpty {
                        take(option, String(letters.hasPrefix("=") ? letters.dropFirst() : letters))
                    } else if i < command.count {
                        take(option, command[i])
                        i += 1
                    }
                    break
                }
                continue
            }
            result.image = argument
            break
        }
        return result
    }

    /// Where the options of `run` begin: after `run` (or `container run`), past the tool's global options.
    static func runArgumentsStart(_ command: [String]) -> Int? {
        var i = 1
        while i < command.count {
            let argument = command[i]
            if argument == "run" { return i + 1 }
            if argument == "container", i + 1 < command.count, command[i + 1] == "run" { return i + 2 }
            guard argument.hasPrefix("-") else { return nil }  // another subcommand
            i += globalWithValue.contains(argument) ? 2 : 1
        }
        return nil
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && CharacterSet.letters.contains(first)) else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && CharacterSet.alphanumerics.contains($0)) }
    }

    public static func readFile(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Global options of docker and podman that take a value (before `run`).
    static let globalWithValue: Set<String> = [
        "--config", "-c", "--context", "-H", "--host", "-l", "--log-level", "--tlscacert", "--tlscert", "--tlskey",
        "--connection", "--url", "--identity", "--root", "--runroot", "--storage-driver", "--storage-opt", "--cgroup-manager",
        "--conmon", "--events-backend", "--hooks-dir", "--imagestore", "--module", "--network-cmd-path",
        "--network-config-dir", "--runtime", "--runtime-flag", "--ssh", "--tmpdir", "--volumepath", "--cdi-spec-dir",
    ]

    /// Short options of `run` that take a value (docker and podman agree on these).
    static let shortWithValue: Set<String> = ["-a", "-c", "-e", "-h", "-l", "-m", "-p", "-u", "-v", "-w"]

    /// Long options of `run` that take a value, docker's and podman's together. Any other
    /// option is a flag (`--rm`, `-i`, `--replace`, `--init`, `--privileged`, …).
    static let longWithValue: Set<String> = [
        // docker run
        "--add-host", "--annotation", "--attach", "--blkio-weight", "--blkio-weight-device", "--cap-add", "--cap-drop",
        "--cgroup-parent", "--cgroupns", "--cidfile", "--cpu-count", "--cpu-percent", "--cpu-period", "--cpu-quota",
        "--cpu-rt-period", "--cpu-rt-runtime", "--cpu-shares", "--cpus", "--cpuset-cpus", "--cpuset-mems", "--detach-keys",
        "--device", "--device-cgroup-rule", "--device-read-bps", "--device-read-iops", "--device-write-bps",
        "--device-write-iops", "--dns", "--dns-opt", "--dns-option", "--dns-search", "--domainname", "--entrypoint", "--env",
        "--env-file", "--expose", "--gpus", "--group-add", "--health-cmd", "--health-interval", "--health-retries",
        "--health-start-interval", "--health-start-period", "--health-timeout", "--hostname", "--io-maxbandwidth",
        "--io-maxiops", "--ip", "--ip6", "--ipc", "--isolation", "--kernel-memory", "--label", "--label-file", "--link",
        "--link-local-ip", "--log-driver", "--log-opt", "--mac-address", "--memory", "--memory-reservation", "--memory-swap",
        "--memory-swappiness", "--mount", "--name", "--net", "--net-alias", "--network", "--network-alias",
        "--oom-score-adj", "--pid", "--pids-limit", "--platform", "--publish", "--pull", "--restart", "--runtime",
        "--security-opt", "--shm-size", "--stop-signal", "--stop-timeout", "--storage-opt", "--sysctl", "--tmpfs",
        "--ulimit", "--user", "--userns", "--uts", "--volume", "--volume-driver", "--volumes-from", "--workdir",
        // podman run
        "--arch", "--authfile", "--blkio-weight-device", "--cert-dir", "--cgroup-conf", "--cgroups", "--chrootdirs",
        "--conmon-pidfile", "--creds", "--decryption-key", "--env-merge", "--gidmap", "--group-entry",
        "--health-log-destination", "--health-max-log-count", "--health-max-log-size", "--health-on-failure",
        "--health-startup-cmd", "--health-startup-interval", "--health-startup-retries", "--health-startup-success",
        "--health-startup-timeout", "--hostuser", "--image-volume", "--init-path", "--mask", "--os", "--passwd-entry",
        "--personality", "--pidfile", "--pod", "--pod-id-file", "--preserve-fd", "--preserve-fds", "--rdt-class",
        "--requires", "--retry", "--retry-delay", "--sdnotify", "--seccomp-policy", "--secret", "--shm-size-systemd",
        "--subgidname", "--subuidname", "--systemd", "--timeout", "--tz", "--uidmap", "--umask", "--unmask", "--unsetenv",
        "--variant",
    ]
}
