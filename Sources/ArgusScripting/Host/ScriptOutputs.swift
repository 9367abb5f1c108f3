import ArgusCore
import ArgusSystem

/// What scripts emit — log lines, metric samples, alerts, their errors — turned into records,
/// within each script's budget: texts capped, bytes and log lines per minute bounded, label sets
/// per metric bounded, alerts de-duplicated. Fired alerts are printed and handed to the webhooks.
struct ScriptOutputs {
    let limits: ScriptLimits
    let server: String
    let report: (String) -> Void
    let alertSink: ((FiredAlert) -> Void)?

    /// One output of a hook (from `argus.log`, `argus.metric.*`, `argus.alert`, or an `alert` hook's value).
    func record(_ output: JSONValue, from script: LoadedScript, call: HookCall?, emit: (RecordOp) -> Void) {
        let now = SystemClock.wallMicros()
        let limit = limits.textBytes
        func text(_ key: String) -> String? { output[key]?.stringValue.map { cappedText($0, limit: limit) } }
        var record = ScriptOutputRecord(
            requestSeq: call?.requestSeq, timestamp: now, script: script.name,
            kind: .log)
        record.location = text("where")
        switch output["type"]?.stringValue {
        case "log":
            let message = text("message") ?? ""
            guard script.budget.allow(bytes: message.utf8.count, isLog: true, at: now) else { return }
            record.level = text("level") ?? "info"
            record.message = message
        case "metric":
            guard let name = text("name"), let value = output["value"]?.doubleValue else { return }
            let labels = output["labels"].map { Self.canonicalLabels($0, limit: limit) } ?? "{}"
            guard script.budget.allow(bytes: name.utf8.count + labels.utf8.count, isLog: false, at: now) else { return }
            switch script.budget.admit(metric: name, labels: labels) {
            case .keep: break
            case .refuse: return
            case .firstRefusal:
                emit(
                    .scriptOutput(
                        call?.run,
                        ScriptOutputRecord(
                            requestSeq: call?.requestSeq, timestamp: now,
                            script: script.name, kind: .log, level: "warning",
                            message: "metric \(name) has more than \(limits.labelSetsPerMetric) label sets; new ones are dropped")))
                return
            }
            record.kind = .metric
            record.name = name
            record.metricKind = text("kind") ?? "gauge"
            record.value = value
            record.labels = labels
        case "alert":
            let message = text("message") ?? ""
            let level = Self.alertLevel(output["level"]?.stringValue)
            let key = text("key") ?? cappedText("\(script.name):\(message)", limit: limit)
            let forSeconds = output["for_s"]?.doubleValue ?? 0
            guard script.alerts.raise(key: key, forSeconds: forSeconds, at: now) else { return }
            guard script.budget.allow(bytes: message.utf8.count + key.utf8.count, isLog: false, at: now) else { return }
            record.kind = .alert
            record.level = level
            record.message = message
            record.key = key
            let alert = FiredAlert(
                script: script.name, level: level, message: message, key: key, server: server,
                tool: call?.tool, method: call?.method, timestamp: now, location: record.location)
            report("argus: ALERT [\(level)] \(script.name): \(message)")
            alertSink?(alert)
        default:
            return
        }
        emit(.scriptOutput(call?.run, record))
    }

    /// A hook's error, when the script's budget still has room (errors share its bytes per
    /// minute; one over it is counted, not stored). Returns whether it was kept.
    func recordError(
        _ message: String, hook: String, location: String?, from script: LoadedScript, call: HookCall?,
        emit: (RecordOp) -> Void
    ) -> Bool {
        let now = SystemClock.wallMicros()
        guard script.budget.allow(bytes: message.utf8.count, isLog: false, at: now) else { return false }
        emit(
            .scriptOutput(
                call?.run,
                ScriptOutputRecord(
                    requestSeq: call?.requestSeq, timestamp: now,
                    script: script.name, kind: .error, level: hook, name: hook,
                    message: message, location: location)))
        return true
    }

    /// What went over a script's budget since the last report: one warning record, and (once a minute) a line.
    func reportDropped(by script: LoadedScript, at time: Timestamp, emit: (RecordOp) -> Void) {
        let dropped = script.budget.takeDropped()
        guard !dropped.isEmpty else { return }
        let message = [
            dropped.logLines > 0 ? "\(dropped.logLines) log lines dropped (limit \(limits.logsPerMinute) per minute)" : nil,
            dropped.records > 0
                ? "\(dropped.records) outputs and errors dropped, \(dropped.bytes) bytes of text "
                    + "(limit \(limits.outputBytesPerMinute) bytes per minute)" : nil,
        ].compactMap { $0 }.joined(separator: "; ")
        emit(
            .scriptOutput(
                nil,
                ScriptOutputRecord(
                    requestSeq: nil, timestamp: time.wallMicros,
                    script: script.name, kind: .log, level: "warning", message: message)))
        if script.mayPrint("dropped outputs", at: Double(time.monotonicNanos) / 1e9) {
            report("argus: script \(script.name): \(message)")
        }
    }

    static func alertLevel(_ level: String?) -> String {
        switch level?.lowercased() {
        case "critical", "crit", "error", "fatal": return "critical"
        case "warning", "warn": return "warning"
        default: return "info"
        }
    }

    /// Labels as JSON with sorted keys, so equal label sets compare equal; each name and
    /// value at most `limit` bytes.
    static func canonicalLabels(_ labels: JSONValue, limit: Int = .max) -> String {
        guard case .object(let object) = labels else { return "{}" }
        let sorted = object.members.sorted { $0.key < $1.key }.map {
            JSONMember(
                cappedText($0.key, limit: limit),
                .string(cappedText($0.value.stringValue ?? JSONWriter.string($0.value), limit: limit)))
        }
        return JSONWriter.string(.object(JSONObject(sorted)))
    }
}
