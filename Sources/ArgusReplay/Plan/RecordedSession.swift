import ArgusCore
import ArgusStore

/// What a run holds besides request/response pairs, read from its messages in order: what the
/// server sent on its own (notifications, requests to the client and the client's answers), and
/// whether each answer was stored redacted. Each server message belongs to the call it was sent
/// for: a progress notification to the request that holds its token, anything else to the newest
/// request still waiting for its answer, else to the newest request (sent after its answer).
enum RecordedSession {
    struct Extras {
        var requestTime: Int64
        var messages: [ServerMessage] = []
        var answerRedacted = false
        var answered = false
    }

    /// Fills `answerRedacted` and `serverMessages` of the plan's calls and other calls.
    static func attach(to plan: inout ReplayPlan, run: Int64, reader: ArgusReader) throws {
        let extras = try read(run: run, reader: reader)
        func fill(_ call: inout ReplayCall) {
            guard let seq = call.requestSeq, let found = extras[seq] else { return }
            call.answerRedacted = found.answerRedacted
            call.serverMessages = found.messages
        }
        for i in plan.calls.indices { fill(&plan.calls[i]) }
        for i in plan.otherCalls.indices { fill(&plan.otherCalls[i]) }
    }

    /// Per client request (by its seq in the run).
    static func read(run: Int64, reader: ArgusReader) throws -> [Int64: Extras] {
        var extras: [Int64: Extras] = [:]
        var waiting: [String: Int64] = [:]  // client requests without an answer yet, by id text
        var progressTokens: [String: Int64] = [:]
        var serverRequests: [String: (owner: Int64, index: Int)] = [:]
        var newest: Int64?

        func add(_ message: JSONValue, at time: Int64, to owner: Int64?) -> Int? {
            guard let owner, var entry = extras[owner] else { return nil }  // before any request: nowhere to put it
            entry.messages.append(
                ServerMessage(
                    offsetMicros: max(0, time - entry.requestTime), message: message,
                    afterAnswer: entry.answered))
            extras[owner] = entry
            return entry.messages.count - 1
        }

        var after = 0
        let page = 1000
        while true {
            let rows = try reader.messages(run: run, afterSeq: after, limit: page)
            for row in rows {
                let seq = Int64(row.seq)
                let fromClient = row.direction == .clientToServer
                switch (fromClient, row.kind) {
                case (true, .request):
                    guard let id = row.jsonrpcID else { continue }
                    extras[seq] = Extras(requestTime: row.timestamp)
                    waiting[id] = seq
                    newest = seq
                    if let body = try? JSONParser.parse(row.body), let token = body["params"]?["_meta"]?[MCP.MetaKey.progressToken] {
                        progressTokens[JSONWriter.string(token)] = seq
                    }
                case (false, .response), (false, .error):
                    guard let id = row.jsonrpcID, let seq = waiting.removeValue(forKey: id) else { continue }
                    extras[seq]?.answerRedacted = row.redacted
                    extras[seq]?.answered = true
                case (false, .notification):
                    guard let body = try? JSONParser.parse(row.body) else { continue }
                    // `argus/…` frames (HTTP's transport events) are what argus saw, not what the server said: a mock never sends them.
                    if body["method"]?.stringValue?.hasPrefix("argus/") == true { continue }
                    let token = body["method"]?.stringValue == MCP.Method.progress ? body["params"]?[MCP.MetaKey.progressToken] : nil
                    _ = add(body, at: row.timestamp, to: token.flatMap { progressTokens[JSONWriter.string($0)] } ?? newest)
                case (false, .request):
                    guard let id = row.jsonrpcID, let body = try? JSONParser.parse(row.body) else { continue }
                    let owner = waiting.values.max() ?? newest
                    if let owner, let index = add(body, at: row.timestamp, to: owner) { serverRequests[id] = (owner, index) }
                case (true, .response), (true, .error):
                    guard let id = row.jsonrpcID, let (owner, index) = serverRequests.removeValue(forKey: id),
                        let body = try? JSONParser.parse(row.body)
                    else { continue }
                    extras[owner]?.messages[index].clientAnswer = ReplayResult.outcome(of: body)
                default:
                    continue  // the client's notifications, batches, lines that are not JSON-RPC
                }
            }
            guard rows.count == page, let last = rows.last else { break }
            after = last.seq
        }
        return extras
    }
}
