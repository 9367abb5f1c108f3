#if canImport(Glibc)
import Glibc
#endif

/// Files only their owner may read (the replay key, the dashboard token),
/// created whole or not at all.
public enum PrivateFile {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Creates `path` with `contents` and mode 0600 unless it exists. The bytes go to a
    /// temporary file first and are linked into place, so a process that loses the race
    /// reads the winner's complete file, never a half-written one. Returns false when the
    /// file already existed (it is left as it was).
    public static func createOnce(path: String, contents: [UInt8]) throws(Failure) -> Bool {
        let temporary = "\(path).tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { unlink(temporary) }
        let written = contents.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == contents.count, synced else { throw Failure(description: "cannot write \(path)") }
        if link(temporary, path) == 0 { return true }
        if errno == EEXIST { return false }
        throw Failure(description: "cannot create \(path): \(String(cString: strerror(errno)))")
    }
}
