import ArgusCore

/// Where a session with faults sends lines to the client: the stdio relay's `ClientOutput`, or
/// the remote relay's (`argus wrap --url`). Each method records the line before writing it, so
/// the recording's order is the wire's.
public protocol FaultClientOutput: AnyObject, Sendable {
    /// A whole line from the server, passed on unchanged.
    func serverLine(_ bytes: UnsafeRawBufferPointer, at time: Timestamp)
    /// A line argus sends in the server's place, recorded with its fault.
    func injected(_ line: [UInt8], fault: InjectedFault)
    /// The server's output ended: no line is half written any more.
    func serverClosed()
}
