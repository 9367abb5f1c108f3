/// What the scripts' `redact` hooks decided becomes what is stored: the message with the parts
/// they replaced, a stub naming the script that dropped it, or — failing closed —
/// `[REDACTION FAILED]` where its parts were. Built-in redaction has run before any script.
enum ScriptRedaction {
    struct Outcome {
        var value: JSONValue
        var body: String
        /// The script that dropped the message, when one did: keep nothing of it, not even sealed.
        var droppedBy: String?
    }

    /// What to store for a message after `verdict`; nil to store it as it is.
    static func outcome(of verdict: HookVerdict, for message: RedactableMessage, kind: MessageKind) -> Outcome? {
        let opensOrStandsAlone = kind == .request || kind == .notification
        switch verdict {
        case .keep:
            return nil
        case .replace(let replaced):
            guard replaced.isChanged else { return nil }
            return Outcome(value: .object(replaced.object), body: replaced.text)
        case .drop(let script):
            let stub = RedactionMarker.dropped(script: script).json
            var stored = message.original
            if opensOrStandsAlone {
                stored["params"] = stub
            } else {
                stored["result"] = stored["result"] == nil ? nil : stub
                stored["error"] = stored["error"].map { error in .object(["code": error["code"] ?? .null, "message": stub]) }
            }
            return Outcome(stored, droppedBy: script)
        case .failed:
            let marker = RedactionMarker.failed.json
            var stored = message.original
            if opensOrStandsAlone {
                if stored["params"] != nil { stored["params"] = marker }
            } else {
                if stored["result"] != nil { stored["result"] = marker }
                if let error = stored["error"] { stored["error"] = .object(["code": error["code"] ?? .null, "message": marker]) }
            }
            return Outcome(stored, droppedBy: nil)
        }
    }

    /// The stored request of a call dropped on its way back: only its metadata remains.
    static func droppedRequest(_ call: PendingCall, script: String) -> String {
        var request: JSONObject = [
            "jsonrpc": "2.0", "method": .string(call.method), "params": RedactionMarker.dropped(script: script).json,
        ]
        if let id = try? JSONParser.parse(call.idText) { request["id"] = id }
        return JSONWriter.string(.object(request))
    }
}

extension ScriptRedaction.Outcome {
    fileprivate init(_ stored: JSONObject, droppedBy: String?) {
        let value = JSONValue.object(stored)
        self.init(value: value, body: JSONWriter.string(value), droppedBy: droppedBy)
    }
}
