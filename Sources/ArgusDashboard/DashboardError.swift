/// An error whose text is the whole message for the user.
public struct DashboardError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
