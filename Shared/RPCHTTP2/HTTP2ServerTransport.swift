internal import NIOCore
internal import NIOPosix
package import RPCCore
internal import Synchronization

/// gRPC over HTTP/2 (h2c, or TLS through `Configuration.security`) on SwiftNIO sockets, one nghttp2 session
/// per connection.
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
        /// After `beginGracefulShutdown()`, how long calls in flight may still run before connections close.
        package var drainTimeout = Duration.seconds(30)
        /// Idle timeout, keepalive pings and ping-strike limits per connection.
        package var connectionPolicy = ConnectionPolicy()
        /// TLS beneath every connection; nil serves h2c.
        package var security: (any ServerConnectionSecurity)?

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
        var launcher: StreamLauncher?
        var shuttingDown = false
        /// Open connections, so a shutdown can tell each of them.
        var connections: [ObjectIdentifier: NIOLoopBound<ServerConnectionHandler>] = [:]
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
        let launcher = StreamLauncher(handler)
        let connection = ServerConnectionHandler.Configuration(
            settings: configuration.settings, maxMessageSize: configuration.maxMessageSize,
            drainTimeout: TimeAmount(configuration.drainTimeout),
            connectionPolicy: configuration.connectionPolicy
        )
        let accept: @Sendable (RPCStream) -> Task<Void, Never>? = { launcher.launch($0) }
        let security = configuration.security
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try security?.secure(channel)
                    let handler = try ServerConnectionHandler(configuration: connection, accept: accept)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    let id = ObjectIdentifier(channel)
                    let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
                    let shuttingDown = self.state.withLock { state in
                        state.connections[id] = bound
                        return state.shuttingDown
                    }
                    if shuttingDown { handler.beginGracefulShutdown() }
                    channel.closeFuture.whenComplete { _ in
                        let idle = self.state.withLock { state in
                            state.connections.removeValue(forKey: id)
                            return state.connections.isEmpty
                        }
                        if idle { self.trimMemoryWhenStillIdle(on: channel.eventLoop) }
                    }
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        let shutDownEarly = state.withLock { state in
            state.serverChannel = channel
            state.launcher = launcher
            return state.shuttingDown
        }
        if shutDownEarly { beginGracefulShutdown() }
        onListening(configuration.host, channel.localAddress?.port ?? configuration.port)

        await withTaskCancellationHandler {
            await launcher.waitUntilStoppedAndIdle()
        } onCancel: {
            // Closing a connection cancels the handlers of its streams.
            channel.close(promise: nil)
            launcher.stopAccepting()
            for connection in state.withLock({ Array($0.connections.values) }) {
                connection.eventLoop.execute { connection.value.close() }
            }
        }
        try? await channel.close()
    }

    /// After a load the allocator keeps the memory it grew to in its per-thread heaps; once no client is
    /// connected any more, give what is free back to the system (a moment later, so a client that reconnects
    /// at once does not pay for it). Handlers still finishing on other threads free loop-owned blocks after the
    /// first collection, and those wait in the loop heaps' cross-thread lists until the next one: so collect
    /// again later, as long as the server stays idle.
    private func trimMemoryWhenStillIdle(on loop: any EventLoop) {
        for delay in Self.trimDelays {
            loop.scheduleTask(in: delay) { [self] in
                guard state.withLock({ $0.connections.isEmpty }) else { return }
                Allocator.releaseFreeMemory(group)
            }
        }
    }

    private static let trimDelays: [TimeAmount] = [.milliseconds(200), .seconds(1), .seconds(3)]

    /// Stops accepting connections and streams; calls in flight finish (within the drain timeout), then
    /// `listen` returns.
    package func beginGracefulShutdown() {
        let (channel, launcher, connections) = state.withLock { state in
            state.shuttingDown = true
            return (state.serverChannel, state.launcher, Array(state.connections.values))
        }
        channel?.close(promise: nil)
        launcher?.stopAccepting()
        for connection in connections {
            connection.eventLoop.execute { connection.value.beginGracefulShutdown() }
        }
    }
}
