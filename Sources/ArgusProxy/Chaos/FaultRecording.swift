import ArgusCore

/// Where a session with faults records: its `RecordingPipeline`, or, behind `argus proxy`, the
/// recording of the HTTP session it belongs to.
public protocol FaultRecording: AnyObject, Sendable {
    /// A message as it went by (one line, newline included).
    func record(_ direction: Direction, _ bytes: UnsafeRawBufferPointer, at time: Timestamp)
    /// A fault, with the line argus sent in the server's place (nil: none, or the server's own).
    func recordFault(_ fault: InjectedFault, answer: [UInt8]?, at time: Timestamp)
}

extension RecordingPipeline: FaultRecording {}
