/// Accepts RPC streams from the network (HTTP/2 in `RPCHTTP2`) or from memory (`RPCInProcess`).
package protocol ServerTransport: Sendable {
    /// Accepts streams until shut down, calling `handler` for each one (concurrently). Returns once every
    /// stream has finished after `beginGracefulShutdown()`; cancelling the calling task closes everything.
    func listen(_ handler: @escaping @Sendable (RPCStream) async -> Void) async throws

    /// Stops accepting new streams; those in flight may finish.
    func beginGracefulShutdown()
}

/// Opens RPC streams to a server.
package protocol ClientTransport: Sendable {
    /// Opens a stream for `path` with the request metadata and deadline, runs `body` with it and closes it.
    /// `requests` is sent as the request stream; the response parts arrive on the stream's inbound side.
    func withStream<Result: Sendable>(
        path: String,
        metadata: Metadata,
        deadline: ContinuousClock.Instant?,
        requests: RPCAsyncSequence<[UInt8]>,
        _ body: (RPCAsyncSequence<RPCResponsePart>) async throws -> Result
    ) async throws -> Result
}
