import ArgusCore

/// One call to replay: what was recorded, and where it came from.
public struct ReplayCall: Sendable {
    public var callID: Int64?
    public var method: String
    public var tool: String?
    /// The params as stored (redacted).
    public var params: JSONValue
    /// The sealed originals of redacted params, if kept.
    public var sealed: SealedValue?
    /// The recorded outcome: `{"result": …}` or `{"error": …}` (redacted).
    public var expected: JSONValue?
    public var expectedIsError: Bool
    public var latencyMicros: Int64?
    public var startedAt: Int64
    public var inputSchema: JSONValue?
    public var annotations: JSONValue?
    /// Whether a recorded `tools/list` had this tool (with or without annotations).
    public var toolListed = false
    /// The request's position in the recorded run: orders calls among the other requests (`argus mock --match strict`).
    public var requestSeq: Int64?
    /// Whether what was stored of the answer differs from what the server sent (redaction, a script).
    public var answerRedacted = false
    /// What the server sent on its own while it answered (and until the next request): notifications and
    /// requests to the client, in order. Replay does not compare them; a mock sends them again.
    public var serverMessages: [ServerMessage] = []

    /// Read-only by annotation (`readOnlyHint: true`) and not destructive.
    public var isSafeToReplay: Bool { safetyConcern == nil }

    public var safetyConcern: String? { safetyConcern(safeTools: []) }

    /// Why replaying could change something for real, or nil when it cannot: the tool is
    /// annotated read-only, or the user said it is safe (`safeTools`: globs from the config's
    /// `replay.safe_tools` and `--allow`). MCP's `destructiveHint` defaults to true for a tool
    /// that is not read-only, so a tool nobody vouches for is not assumed harmless; and a
    /// tool its server annotates destructive is never made safe by a glob.
    ///
    /// The text reads after "TOOL may change something when replayed: ".
    public func safetyConcern(safeTools: [String]) -> String? {
        if method != MCP.Method.toolsCall { return nil }
        if annotations?["destructiveHint"]?.boolValue == true { return "it is annotated destructive (destructiveHint: true)" }
        if annotations?["readOnlyHint"]?.boolValue == true { return nil }
        if let tool, safeTools.contains(where: { Glob.matches($0, tool) }) { return nil }
        if annotations != nil { return "it is not annotated read-only (readOnlyHint is not true)" }
        return toolListed || inputSchema != nil
            ? "its tools/list entry has no annotations to say it only reads"
            : "no tools/list was recorded for its server, so it has no annotations to say it only reads"
    }

    /// What the user can do about a concern: the durable way first.
    public func howToAllow() -> String {
        let name = tool ?? "TOOL"
        if annotations?["destructiveHint"]?.boolValue == true { return "--allow-destructive replays it anyway" }
        return "if it only reads, say so with --allow \(name) (a glob; repeatable) or in the config, "
            + "\"replay\": {\"safe_tools\": [\"\(name)\"]}; --allow-destructive replays it anyway"
    }
}
