import ArgusCore
import ArgusScripting
import ArgusStore

/// `GET /api/runs/:id/verdicts`: what the agent did after the run's failures, empty results and
/// repetitions, as `argus verdict --json` says it (the config's thresholds, its verdict scripts).
struct VerdictsAPI: Sendable {
    struct Settings: Sendable {
        var thresholds = VerdictThresholds()
        var scripts: [ScriptSpec] = []
        var limits = ScriptLimits()
    }

    let pool: ReaderPool
    let settings: Settings

    func register(_ router: inout Router) {
        router.add("GET", "/api/runs/:id/verdicts") { _, params in try verdicts(id: params.id()) }
    }

    func verdicts(id: Int64) throws -> HTTPResponse {
        try pool.withReader { reader in
            let server = try reader.run(id: id)?.serverName ?? ""
            // A script's state is its own: loaded for this request, dropped after it.
            let verdictScripts =
                settings.scripts.isEmpty
                ? nil
                : VerdictScripts(specs: settings.scripts, server: server, limits: settings.limits, report: { _ in })
            guard
                let report = try reader.verdictReport(
                    run: id, thresholds: settings.thresholds,
                    extra: { calls in
                        verdictScripts?.verdicts(for: calls, run: id) ?? []
                    })
            else { throw HTTPError(404, "no run \(id)") }
            return .json(report.json)
        }
    }
}
