package import RPCCore
internal import Synchronization

/// A client and a server transport joined in memory, for tests of service logic without sockets.
///
/// ```swift
/// let transport = InProcessTransport()
/// async let serving: Void = RPCServer(transport: transport.server, router: router).serve()
/// let client = RPCClient(transport: transport.client)
/// ```
package struct InProcessTransport: Sendable {
    package let server: Server
    package let client: Client

    package init() {
        let (streams, continuation) = AsyncStream<RPCStream>.makeStream()
        server = Server(streams: streams, continuation: continuation)
        client = Client(continuation: continuation)
    }

    /// The server side: streams opened by `client` arrive here.
    package struct Server: ServerTransport {
        let streams: AsyncStream<RPCStream>
        let continuation: AsyncStream<RPCStream>.Continuation

        package func listen(_ handler: @escaping @Sendable (RPCStream) async -> Void) async throws {
            await withDiscardingTaskGroup { group in
                for await stream in streams {
                    group.addTask { await stream.serve(handler) }
                }
            }
        }

        package func beginGracefulShutdown() { continuation.finish() }
    }

    /// The client side.
    package struct Client: ClientTransport {
        let continuation: AsyncStream<RPCStream>.Continuation

        package func withStream<Result: Sendable>(
            path: String,
            metadata: Metadata,
            deadline: ContinuousClock.Instant?,
            requests: RPCAsyncSequence<[UInt8]>,
            _ body: (RPCAsyncSequence<RPCResponsePart>) async throws -> Result
        ) async throws -> Result {
            let (responses, responder) = AsyncThrowingStream<RPCResponsePart, any Error>.makeStream()
            let outbound = RPCWriter<RPCResponsePart> { part in
                responder.yield(part)
                if case .status = part { responder.finish() }
            }
            // A client that stops waiting (cancelled) aborts the stream, which cancels its handler, as a
            // reset stream does over HTTP/2.
            let abort = StreamAbort()
            let stream = RPCStream(
                path: path, metadata: metadata, deadline: deadline, peer: "in-process",
                inbound: requests, outbound: outbound, abort: abort
            )
            if case .terminated = continuation.yield(stream) {
                throw RPCError(.unavailable, "the in-process server is not accepting calls")
            }
            return try await withTaskCancellationHandler {
                try await body(RPCAsyncSequence(responses))
            } onCancel: {
                abort.abort()
            }
        }
    }
}
