import NIOCore
import NIOHTTP1

/// The client's side of a connection, for the answers written from Swift concurrency (a stdio
/// server's stream, OAuth discovery): each write waits until it is on the socket, which is
/// the backpressure a slow client exerts. The MCP exchanges with a remote server write on
/// the connection's event loop instead (`MCPExchange`).
struct ClientWriter: Sendable {
    let channel: Channel

    func write(_ part: HTTPServerResponsePart) async throws {
        try await channel.writeAndFlush(part).get()
    }

    /// The parts in one flush.
    func write(contentsOf parts: [HTTPServerResponsePart]) async throws {
        try await send(parts).get()
    }

    /// The parts in one flush, from the connection's event loop or any other: the future
    /// completes once the last is on the socket.
    func send(_ parts: [HTTPServerResponsePart]) -> EventLoopFuture<Void> {
        guard let last = parts.last else { return channel.eventLoop.makeSucceededVoidFuture() }
        for part in parts.dropLast() { channel.write(part, promise: nil) }
        return channel.writeAndFlush(last)
    }
}
