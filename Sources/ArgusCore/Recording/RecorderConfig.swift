/// Settings for one proxy session's recording.
public struct RecorderConfig: Sendable {
    public var serverName: String
    public var launch: LaunchSpec
    /// A new run starts when a frame arrives after this much silence.
    public var idleTimeoutMicros: Int64
    public var redaction: RedactionPolicy
    public var maxLineBytes: Int
    public var argusPID: Int32
    public var serverPID: Int32?
    /// Lines of server stderr kept for the run's `stderr_tail`.
    public var stderrTailLines: Int
    /// Seals the original params of redacted requests for replay (nil: originals are not kept).
    public var sealer: SecretSealer?
    /// For replays: the recorded call a request (by JSON-RPC id text) replays.
    public var replayOf: (@Sendable (String) -> Int64?)?
    /// `wrap` for proxied sessions, `replay` for runs made by the replay engine.
    public var runKind = "wrap"
    /// Set when the session is relayed without recording its traffic: the reason, stored with the run.
    public var recordingError: String?
    /// Numbers the session's runs; shared by sessions that share a writer.
    public var runNumbering = RunNumbering()

    public init(
        serverName: String, launch: LaunchSpec, idleTimeoutSeconds: Double = 60,
        redaction: RedactionPolicy = RedactionPolicy(), maxLineBytes: Int = 64 << 20,
        argusPID: Int32 = 0, serverPID: Int32? = nil, stderrTailLines: Int = 20
    ) {
        self.serverName = serverName
        self.launch = launch
        self.idleTimeoutMicros = Int64(idleTimeoutSeconds * 1_000_000)
        self.redaction = redaction
        self.maxLineBytes = maxLineBytes
        self.argusPID = argusPID
        self.serverPID = serverPID
        self.stderrTailLines = stderrTailLines
    }
}

/// Encrypts the originals of redacted values so a replay can send the real
/// ones while no secret is stored in clear. Implemented outside Core (AES-GCM).
public protocol SecretSealer: Sendable {
    /// The ciphertext of `plaintext` and the id of the key that sealed it, or nil on failure.
    func seal(_ plaintext: [UInt8]) -> (keyID: String, sealed: [UInt8])?
}
