/// Originals that redaction replaced (a call's params, a server's command-line arguments),
/// as JSON text sealed with AES-GCM under the key named by `keyID` (see `SecretKeyFile`).
public struct SealedValue: Sendable, Equatable {
    public var keyID: String
    public var bytes: [UInt8]

    public init(keyID: String, bytes: [UInt8]) {
        self.keyID = keyID
        self.bytes = bytes
    }
}
