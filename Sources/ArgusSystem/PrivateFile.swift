#if canImport(Glibc)
import Glibc
#endif

/// Files only their owner may read (the replay key, the dashboard token, and
/// files that hold recorded data or may hold secrets: exports, JUnit reports,
/// client configurations), created whole or not at all.
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
        let written = contents.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == contents.count, synced else { throw Failure(description: "cannot write \(path)") }
        if link(temporary, path) == 0 { return true }
        if errno == EEXIST { return false }
        throw Failure(description: "cannot create \(path): \(String(cString: strerror(errno)))")
    }
}

extension PrivateFile {
    /// Replaces `path` with `contents` through a temporary file renamed over it, so the
    /// file is never half-written. A new file is created 0600; an existing one keeps its
    /// mode, narrowed to its owner when `secret` (a token is about to be written into it).
    /// A mode is never widened, and the bytes are never readable by others on the way
    /// (the temporary file is 0600 until the final mode is set).
    ///
    /// `path` is written as given: resolve symbolic links first (`resolvingLinks`).
    public static func write(path: String, contents: [UInt8], secret: Bool = false) throws(Failure) {
        var info = stat()
        let existing: mode_t? = stat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
        let mode: mode_t = existing.map { secret ? $0 & 0o700 : $0 } ?? 0o600
        let temporary = "\(path).argus-tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
        fchmod(fd, mode)  // the final mode, narrower than or equal to what the file had
        var offset = 0
        while offset < contents.count {
            let n = contents[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            offset += n
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard offset == contents.count, synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw Failure(description: "cannot write \(path): \(reason)")
        }
    }

    /// Where writing `path` really lands: symbolic links followed one by one (relative
    /// targets against their link's directory), up to 40 hops. A dangling link gives the
    /// path it points to, which then does not exist yet.
    public static func resolvingLinks(_ path: String) throws(Failure) -> String {
        var current = path
        for _ in 0..<40 {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(current, &buffer, buffer.count - 1)
            if count < 0 { return current }  // not a link (or nothing there): this is the file
            let target = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if target.hasPrefix("/") {
                current = target
            } else {
                let directory = current.lastIndex(of: "/").map { String(current[..<$0]) } ?? "."
                current = (directory.isEmpty ? "" : directory) + "/" + target
            }
        }
        throw Failure(description: "cannot write \(path): too many levels of symbolic links")
    }

    /// The canonical absolute form of an existing directory (`realpath`), or nil.
    public static func canonicalDirectory(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
