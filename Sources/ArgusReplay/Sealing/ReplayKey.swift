import ArgusCore

/// The key a replay opens sealed originals with (params and command-line arguments alike),
/// loaded once, or why there is none.
struct ReplayKey {
    /// Why sealed originals cannot be opened; reads after "the originals cannot be opened: ".
    enum Problem: Error, CustomStringConvertible {
        case noKey(String)
        case otherKey(sealedWith: String, path: String, keyID: String)
        case doesNotOpen(path: String)

        var description: String {
            switch self {
            case .noKey(let why): return why
            case .otherKey(let sealedWith, let path, let keyID):
                return "they were sealed with key \(sealedWith), and \(path) is key \(keyID)"
            case .doesNotOpen(let path): return "they do not open with \(path)"
            }
        }
    }

    let path: String
    private let key: Result<SecretKeyFile, Problem>

    init(path: String) {
        self.path = path
        do {
            key = try SecretKeyFile.load(path: path, create: false).map { .success($0) } ?? .failure(.noKey("there is no key at \(path)"))
        } catch {
            key = .failure(.noKey("\(error)"))
        }
    }

    /// The sealed JSON, opened and parsed.
    func open(_ sealed: SealedValue) -> Result<JSONValue, Problem> {
        key.flatMap { key in
            guard key.keyID == sealed.keyID else { return .failure(.otherKey(sealedWith: sealed.keyID, path: path, keyID: key.keyID)) }
            guard let opened = try? key.unseal(sealed.bytes), let value = try? JSONParser.parse(opened) else {
                return .failure(.doesNotOpen(path: path))
            }
            return .success(value)
        }
    }
}
