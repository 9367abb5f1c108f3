import ArgusCore
import ArgusProxy
import Foundation

/// What `argus wrap --url` and `argus proxy` record the same way: the redaction policy, with
/// the credentials they send kept out of every recording, and the launch spec of a remote run.
enum RemoteRecordingSetup {
    /// The wrap options' policy, plus `secrets` (header values, a client's bearer token): a
    /// credential never reaches a recording, even when a server echoes it back. A header's
    /// value counts whole and, for `Bearer xyz`-shaped values, by its last word.
    static func policy(_ wrap: WrapOptions, environment: [String: String], secrets: [(name: String, value: String)])
        -> RedactionPolicy
    {
        adding(
            secrets,
            to: RedactionPolicy.forEnvironment(
                environment, enabled: wrap.redactionEnabled,
                extraKeys: wrap.extraRedactKeys, patterns: wrap.redactPatterns))
    }

    static func adding(_ secrets: [(name: String, value: String)], to base: RedactionPolicy) -> RedactionPolicy {
        var policy = base
        let added = secrets.flatMap { name, value in
            [(name: name, value: value)] + (value.split(separator: " ", maxSplits: 1).last.map { [(name: name, value: String($0))] } ?? [])
        }
        policy.secretValues = (policy.secretValues + added)
            .filter { $0.value.utf8.count >= RedactionPolicy.minimumSecretValueLength }
            .sorted { $0.value.utf8.count > $1.value.utf8.count }
        return policy
    }

    /// A remote run's launch spec: the address without credentials or query, header names
    /// (never values) and the environment variables the values come from.
    static func launch(_ target: RemoteURL, headers: [HeaderTemplate], extraArgs: [String] = []) -> LaunchSpec {
        LaunchSpec(
            command: target.display, args: extraArgs + headers.flatMap { ["--header", "\($0.name): …"] },
            cwd: FileManager.default.currentDirectoryPath, envNames: headers.flatMap(\.variables).sorted())
    }
}
