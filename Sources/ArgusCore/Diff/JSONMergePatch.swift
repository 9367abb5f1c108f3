/// JSON merge patch (RFC 7386): a patch object's members replace the target's, `null`
/// removes one, and objects merge member by member; any other patch (an array, a string)
/// replaces the target whole. Replay edits a recorded call's arguments this way
/// (`argus replay --params`, the dashboard's edits), and `JSONDiff` is its counterpart for
/// reading what changed.
public enum JSONMergePatch {
    /// The target with the patch applied.
    public static func apply(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard case .object(let members) = patch else { return patch }
        var result = target.objectValue ?? JSONObject()
        for member in members.members {
            if member.value.isNull {
                result[member.key] = nil
            } else {
                result[member.key] = apply(member.value, to: result[member.key] ?? .null)
            }
        }
        return .object(result)
    }

    /// The patch that turns `original` into `edited`, or nil when they are the same value.
    /// Members that are gone become null; arrays and other values are replaced whole. A member
    /// edited to null cannot be said in a merge patch (null means "remove"): it is removed.
    public static func patch(from original: JSONValue, to edited: JSONValue) -> JSONValue? {
        guard case .object(let before) = original, case .object(let after) = edited else {
            return original.sameValue(as: edited) ? Optional.none : edited  // not `nil`: that would be JSON null
        }
        var patch = JSONObject()
        for member in after.members {
            if let old = before[member.key] {
                if let inner = Self.patch(from: old, to: member.value) { patch[member.key] = inner }
            } else {
                patch[member.key] = member.value
            }
        }
        for member in before.members where after[member.key] == nil { patch[member.key] = .null }
        return patch.members.isEmpty ? Optional.none : .object(patch)
    }

    /// True when applying the patch sets or removes the value at `path` (object keys, unescaped),
    /// itself or by replacing a value that holds it.
    public static func replaces(_ patch: JSONValue, valueAt path: [String]) -> Bool {
        var node = patch
        for key in path {
            guard case .object(let members) = node else { return true }  // replaced whole from here down
            guard let next = members[key] else { return false }
            node = next
        }
        return true
    }
}
