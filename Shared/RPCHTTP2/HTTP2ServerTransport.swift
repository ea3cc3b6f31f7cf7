internal import NIOCore
internal import NIOPosix
package import RPCCore
internal import Synchronization

/// gRPC over HTTP/2 (h2c) on SwiftNIO sockets, one nghttp2 session per connection.
///
/// ```swift
/// let transport = HTTP2ServerTransport(.init(host: "127.0.0.1", port: 0)) { host, port in print(port) }
/// try await RPCServer(transport: transport, router: router).serve()
/// ```
package final class HTTP2ServerTransport: ServerTransport {
    /// Where to listen and the limits to enforce.
    package struct Configuration: Sendable {
        package var host: String
        /// 0 picks a free port; `onListening` reports it.
        package var port: Int
        package var settings = HTTP2Settings.defaults
        /// Largest request message accepted (RESOURCE_EXHAUSTED above it).
        package var maxMessageSize = 4 << 20

        package init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    private let configuration: Configuration
    private let group: any EventLoopGroup
    private let onListening: @Sendable (_ host: String, _ port: Int) -> Void
    private let state = Mutex<State>(State())

    private struct State {
        var serverChannel: (any Channel)?
        var streams: AsyncStream<RPCStream>.Continuation?
        var shuttingDown = false
    }

    package init(
        _ configuration: Configuration,
        onListening: @escaping @Sendable (_ host: String, _ port: Int) -> Void = { _, _ in }
    ) {
        self.configuration = configuration
        self.group = MultiThreadedEventLoopGroup.singleton
        self.onListening = onListening
    }

    package func listen(_ handler: @escaping @Sendable (RPCStream) async -> Void) async throws {
        let (streams, continuation) = AsyncStream<RPCStream>.makeStream()
        let connection = ServerConnectionHandler.Configuration(
            settings: configuration.settings, maxMessageSize: configuration.maxMessageSize
        )
        let accept: @Sendable (RPCStream) -> Bool = { stream in
            if case .enqueued = continuation.yield(stream) { return true }
            return false
        }
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ServerConnectionHandler(configuration: connection, accept: accept)
                    )
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        let shutDownEarly = state.withLock { state in
            state.serverChannel = channel
            state.streams = continuation
            return state.shuttingDown
        }
        if shutDownEarly { beginGracefulShutdown() }
        onListening(configuration.host, channel.localAddress?.port ?? configuration.port)

        try await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                for await stream in streams {
                    group.addTask(executorPreference: stream.executor) { await handler(stream) }
                }
            }
        } onCancel: {
            channel.close(promise: nil)
            continuation.finish()
        }
        try? await channel.close()
    }

    package func beginGracefulShutdown() {
        let (channel, continuation) = state.withLock { state in
            state.shuttingDown = true
            return (state.serverChannel, state.streams)
        }
        channel?.close(promise: nil)
        continuation?.finish()
    }
}
