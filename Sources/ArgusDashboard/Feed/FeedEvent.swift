import ArgusCore

/// One server-sent event. `id` is the number of the database change it reports
/// (`feed_changes.seq`): ids only grow, so a client that reconnects with
/// `Last-Event-ID` gets exactly the changes it missed. `hello` has no id.
struct FeedEvent: Sendable {
    var name: String
    var id: Int64?
    var data: JSONValue

    var wire: [UInt8] {
        Array(((id.map { "id: \($0)\n" } ?? "") + "event: \(name)\ndata: \(JSONWriter.string(data))\n\n").utf8)
    }
}
