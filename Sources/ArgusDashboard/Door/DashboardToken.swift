import ArgusCore
import ArgusStore
import ArgusSystem
import Crypto
import Foundation

/// The dashboard token: 32 random bytes as hex in `~/.argus/token`, mode 0600,
/// created on first start and kept, so API scripts can read it.
public enum DashboardToken {
    public static func path(environment: [String: String]) -> String {
        ArgusDatabase.argusHome(environment: environment) + "/token"
    }

    public static func loadOrCreate(path: String) throws -> String {
        if let data = FileManager.default.contents(atPath: path) {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard text.count >= 32, text.allSatisfy(\.isHexDigit) else {
                throw DashboardError("\(path) does not hold an Argus token; delete it and start again to create a new one")
            }
            return text
        }
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let token = SymmetricKey(size: .bits256).withUnsafeBytes { bytes in bytes.map { String(format: "%02x", $0) }.joined() }
        do {
            if try PrivateFile.createOnce(path: path, contents: Array((token + "\n").utf8)) { return token }
        } catch {
            throw DashboardError(error.description)
        }
        return try loadOrCreate(path: path)  // another dashboard created it first
    }
}
