import ArgumentParser
import ArgusCore
import ArgusProxy
import ArgusSetup

/// `--faults FILE` and `--no-faults`, shared by `argus wrap` and `argus proxy`.
struct FaultFlags: ParsableArguments {
    @Option(
        name: .customLong("faults"),
        help: ArgumentHelp(
            "Inject the faults described in this JSON file into the session: errors, empty results, "
                + "timeouts, latency, malformed or stale answers (a chaos run; see Examples/scenarios).",
            valueName: "file"))
    var faultsFile: String?

    @Flag(name: .customLong("no-faults"), help: "Inject none of the faults in the config's \"faults\" section.")
    var noFaults = false

    /// The faults for sessions with server `server` (nil: none).
    func options(config: Configuration, server: String) throws -> FaultOptions? {
        try FaultSetup.options(file: faultsFile, noFaults: noFaults, config: config, server: server)
    }
}
