import ArgusCore

/// The recorder's statements that both backends run as they are (with `?` placeholders); what
/// differs — how rows are inserted, batches made idempotent — is in each backend's writer.
enum RecordingStatements {
    static let updatePeers = """
        UPDATE runs SET client_name = ?, client_version = ?, server_info_name = ?, server_version = ?, protocol_version = ?
        WHERE id = ?
        """

    static let endRun = """
        UPDATE runs SET ended_at = ?, end_reason = ?, end_detail = ?, exit_status = ?,
                        stderr_tail = COALESCE(?, stderr_tail), dropped_frames = dropped_frames + ?
        WHERE id = ?
        """

    static let rewriteMessage = "UPDATE messages SET body = ?, redacted = 1 WHERE run_id = ? AND seq = ?"
    /// Rewritten after the fact means dropped by a script: its sealed original goes too.
    static let dropSealedParams = "DELETE FROM sealed_params WHERE run_id = ? AND seq = ?"

    static let addCounts = """
        UPDATE runs SET message_count = message_count + ?, call_count = call_count + ?, error_count = error_count + ?
        WHERE id = ?
        """

    /// A later round's first round (written before it: it completed first).
    static let callID = "SELECT id FROM calls WHERE run_id = ? AND request_seq = ?"
    /// A fault's request: the newest client request with its id.
    static let faultRequest = "SELECT seq FROM messages WHERE run_id = ? AND direction = 'c2s' AND jsonrpc_id = ? ORDER BY seq DESC LIMIT 1"
    /// The answer a fault spoilt: the newest server message.
    static let faultResponse = "SELECT seq FROM messages WHERE run_id = ? AND direction = 's2c' ORDER BY seq DESC LIMIT 1"

    static func peerArguments(_ info: PeerInfo, run: Int64) -> [SQLiteValue] {
        [
            SQLiteValue(info.clientName), SQLiteValue(info.clientVersion), SQLiteValue(info.serverName),
            SQLiteValue(info.serverVersion), SQLiteValue(info.protocolVersion), .int(run),
        ]
    }

    static func endArguments(_ end: RunEnd, run: Int64) -> [SQLiteValue] {
        [
            .int(end.endedAt), .text(end.reason.rawValue), SQLiteValue(end.detail), SQLiteValue(end.exitStatus),
            SQLiteValue(end.stderrTail), .int(Int64(end.droppedFrames)), .int(run),
        ]
    }
}
