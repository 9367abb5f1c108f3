/// One row of `messages`: a frame that crossed the proxy, in order.
public struct MessageRecord: Sendable {
    /// The database id; 0 until the message is stored.
    public var id: Int64
    /// The database id of its run; 0 until stored (a `RecordOp` names the run by the recorder's number).
    public var runID: Int64
    /// Its position in the run, from 1.
    public var seq: Int
    public var direction: Direction
    public var timestamp: Int64
    public var kind: MessageKind
    /// A response carries its request's method.
    public var method: String?
    /// The JSON-RPC id as JSON text.
    public var jsonrpcID: String?
    /// Redacted body (the original bytes when nothing needed redaction).
    public var body: String
    /// Bytes on the wire, newline excluded.
    public var size: Int
    public var redacted: Bool

    public init(
        id: Int64 = 0, runID: Int64 = 0, seq: Int, direction: Direction, timestamp: Int64, kind: MessageKind,
        method: String?, jsonrpcID: String?, body: String, size: Int, redacted: Bool
    ) {
        self.id = id
        self.runID = runID
        self.seq = seq
        self.direction = direction
        self.timestamp = timestamp
        self.kind = kind
        self.method = method
        self.jsonrpcID = jsonrpcID
        self.body = body
        self.size = size
        self.redacted = redacted
    }
}
