/// What redaction hooks decided about a message.
public enum HookVerdict: Sendable, Equatable {
    /// Store it as it is.
    case keep
    /// Store this instead: the message with the parts the scripts replaced (`params` for
    /// requests and notifications, `result` and/or `error` for responses), merged once.
    case replace(RedactableMessage)
    /// Store only the call's metadata; the bodies become a stub naming the script.
    case drop(script: String)
    /// A redaction hook failed or hit a limit: fail closed, store `RedactionMarker.failed`.
    case failed(script: String)
}

/// Where user scripts plug into recording. Runs on the recorder thread, off the
/// relay path. Everything a hook produces comes back as `RecordOp`s through `emit`.
public protocol RecordingHooks: AnyObject {
    /// False when no script defines `redact`: the recorder then skips the call entirely.
    var hasRedactors: Bool { get }
    /// Before a request, response or notification is stored: `message` is what would be stored
    /// (built-in redaction done). The hooks read its text as the body of `call`'s phase.
    func redact(_ call: HookCall, message: RedactableMessage, emit: (RecordOp) -> Void) -> HookVerdict
    /// After a call is complete and stored (observers: on_call, alert, metric).
    func completed(_ call: HookCall, emit: (RecordOp) -> Void)
    /// About once a second, and when the session ends: reload changed scripts, report status.
    func tick(at time: Timestamp, emit: (RecordOp) -> Void)
}
