import ArgusCore
import ArgusStore
import ArgusSystem
import Crypto
import Foundation

/// The local key that seals redacted originals: 32 random bytes in
/// `~/.argus/secret.key`, mode 0600, created on first use. Sealed values name
/// the key they were sealed with, so a copy of the database without the key
/// says what it cannot open.
public struct SecretKeyFile: Sendable {
    public let path: String
    private let bytes: [UInt8]
    var key: SymmetricKey { SymmetricKey(data: bytes) }
    /// The first 16 hex digits of SHA-256 of the key: not the key, but tells keys apart.
    public let keyID: String

    public static func defaultPath(environment: [String: String]) -> String {
        ArgusDatabase.argusHome(environment: environment) + "/secret.key"
    }

    /// Reads the key, or creates it (and its directory) when `create` is set.
    public static func load(path: String, create: Bool) throws -> SecretKeyFile? {
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count == 32 else {
                throw ReplayError.badKey("\(path) is not an Argus key (\(data.count) bytes, expected 32)")
            }
            return SecretKeyFile(path: path, bytes: Array(data))
        }
        guard create else { return nil }
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let key = SymmetricKey(size: .bits256)
        let bytes = key.withUnsafeBytes { Data($0) }
        do {
            // 0600 from the start, and whole: a process that loses the race reads the winner's key.
            if try PrivateFile.createOnce(path: path, contents: Array(bytes)) { return SecretKeyFile(path: path, bytes: Array(bytes)) }
        } catch {
            throw ReplayError.badKey(error.description)
        }
        return try load(path: path, create: false)
    }

    init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
        keyID = SHA256.hash(data: bytes).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// AES-GCM: nonce, ciphertext and tag in one blob.
    public func seal(_ plaintext: [UInt8]) throws -> [UInt8] {
        guard let combined = try AES.GCM.seal(plaintext, using: key).combined else {
            throw ReplayError.badKey("sealing failed")
        }
        return Array(combined)
    }

    public func unseal(_ sealed: [UInt8]) throws -> [UInt8] {
        Array(try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key))
    }
}
