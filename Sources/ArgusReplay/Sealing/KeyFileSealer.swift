import ArgusCore
import ArgusSystem

/// Seals redacted originals while recording (the recorder's `SecretSealer`).
/// The key file is created on the first value to seal, on the recorder thread.
public final class KeyFileSealer: SecretSealer, @unchecked Sendable {
    private let path: String
    private let report: @Sendable (String) -> Void
    private let monitor = Monitor()
    private var key: SecretKeyFile?
    private var failed = false

    public init(path: String, report: @escaping @Sendable (String) -> Void) {
        self.path = path
        self.report = report
    }

    public func seal(_ plaintext: [UInt8]) -> (keyID: String, sealed: [UInt8])? {
        let key: SecretKeyFile? = monitor.locked {
            if self.key == nil && !failed {
                do {
                    self.key = try SecretKeyFile.load(path: path, create: true)
                } catch {
                    failed = true
                    report("argus: cannot keep redacted values for replay: \(error); replays will need them supplied")
                }
            }
            return self.key
        }
        guard let key, let sealed = try? key.seal(plaintext) else { return nil }
        return (key.keyID, sealed)
    }
}
