internal import NIOCore
internal import NIOPosix
package import RPCCore
internal import Synchronization

/// gRPC over HTTP/2 (h2c, or TLS through `security`) to one server address: one connection, opened on first
/// use and reopened when it closes or the server sends GOAWAY; calls are multiplexed on it.
///
/// ```swift
/// let client = RPCClient(transport: HTTP2ClientTransport(host: "127.0.0.1", port: 7002))
/// let reply = try await client.unary(Health.Method.Check.self, .init(), timeout: .seconds(1))
/// ```
package final class HTTP2ClientTransport: SubchannelTransport {
    private let host: String
    private let port: Int
    private let settings: HTTP2Settings
    private let maxMessageSize: Int
    private let security: (any ClientConnectionSecurity)?
    private let group: any EventLoopGroup
    private let connection = Mutex<ConnectionState>(.idle)

    private struct Connection {
        let channel: any Channel
        let handler: NIOLoopBound<ClientConnectionHandler>
    }

    /// One connection attempt at a time: callers that arrive while it is under way wait for the same one.
    private enum ConnectionState {
        case idle
        case connecting(EventLoopFuture<Connection>)
        case ready(Connection)
        /// The last attempt failed: calls fail fast until `until`, then the next attempt waits `next` longer.
        /// `reason` is why the last attempt failed, so calls failed fast still say why.
        case backingOff(until: ContinuousClock.Instant, next: Duration, reason: String)
    }

    private static let firstReconnectBackoff = Duration.milliseconds(100)
    private static let maxReconnectBackoff = Duration.seconds(5)

    /// - Parameter security: TLS for the connection; nil speaks h2c.
    package init(
        host: String, port: Int, settings: HTTP2Settings = .defaults, maxMessageSize: Int = 4 << 20,
        security: (any ClientConnectionSecurity)? = nil
    ) {
        self.host = host
        self.port = port
        self.settings = settings
        self.maxMessageSize = maxMessageSize
        self.security = security
        group = MultiThreadedEventLoopGroup.singleton
    }

    deinit {
        if case .ready(let current) = connection.withLock({ $0 }) { current.channel.close(promise: nil) }
    }

    /// False while calls fail fast after a failed connection attempt.
    package var isAvailable: Bool {
        if case .backingOff(let until, _, _) = connection.withLock({ $0 }) { return until <= .now }
        return true
    }

    /// Closes the connection; calls in flight fail with UNAVAILABLE.
    package func close() async {
        let current = connection.withLock { connection in
            defer { connection = .idle }
            return connection
        }
        switch current {
        case .ready(let ready): try? await ready.channel.close()
        case .connecting(let future): try? await future.get().channel.close()
        case .idle, .backingOff: break
        }
    }

    package func withStream<Result: Sendable>(
        path: String,
        metadata: Metadata,
        deadline: ContinuousClock.Instant?,
        requests: RPCAsyncSequence<[UInt8]>,
        _ body: (RPCAsyncSequence<RPCResponsePart>) async throws -> Result
    ) async throws -> Result {
        let responses = ResponseParts()
        let request = ClientConnectionHandler.StreamRequest(
            path: path, metadata: metadata, deadline: deadline, messages: requests.knownElements, responses: responses
        )
        let (connection, streamID) = try await openStream(request)
        let loop = connection.channel.eventLoop
        let handler = connection.handler
        let cancel: @Sendable (RPCError) -> Void = { error in
            loop.execute { handler.value.cancel(streamID: streamID, with: error) }
        }
        func receive() async throws -> Result {
            do {
                return try await withTaskCancellationHandler {
                    try await body(RPCAsyncSequence(responses))
                } onCancel: {
                    cancel(RPCError(.cancelled, "the call was cancelled"))
                }
            } catch {
                cancel(RPCError(.cancelled, "the caller gave up"))
                throw error
            }
        }
        // Known requests went out with the stream's headers, in the same event-loop turn.
        if request.messages != nil { return try await receive() }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            // Requests go out while responses come in, so bidirectional calls can interleave.
            group.addTask {
                for try await message in requests {
                    try await loop.flatSubmit {
                        handler.value.send(message, streamID: streamID) ?? loop.makeSucceededVoidFuture()
                    }.get()
                }
                try await loop.submit { handler.value.finishRequest(streamID: streamID) }.get()
            }
            defer { group.cancelAll() }
            return try await receive()
        }
    }

    /// Opens the stream on the current connection if it still takes calls, else on a new one (shared by
    /// concurrent callers), in one hop to the connection's event loop. UNAVAILABLE naming the address when
    /// nothing listens there.
    private func openStream(_ request: ClientConnectionHandler.StreamRequest) async throws -> (Connection, Int32) {
        while true {
            let current = try await readyConnection()
            let streamID = try await current.channel.eventLoop.submit {
                try current.handler.value.openStream(request)
            }.get()
            if let streamID { return (current, streamID) }
            // Draining (GOAWAY) or closed: replace it unless another caller already did.
            connection.withLock { state in
                if case .ready(let same) = state, same.channel === current.channel { state = .idle }
            }
        }
    }

    /// The current connection, or a new one (one attempt at a time, shared by concurrent callers).
    private func readyConnection() async throws -> Connection {
        while true {
            let state = connection.withLock { $0 }
            switch state {
            case .ready(let current):
                return current
            case .connecting(let attempt):
                do {
                    return try await attempt.get()
                } catch {
                    throw RPCError(.unavailable, "cannot connect to \(host):\(port): \(Self.reason(error))", cause: error)
                }
            case .backingOff(let until, _, let reason) where ContinuousClock.now < until:
                throw RPCError(.unavailable, "cannot connect to \(host):\(port): \(reason); next attempt in \(until - .now)")
            case .idle, .backingOff:
                let attempt = connection.withLock { state -> (EventLoopFuture<Connection>, Duration)? in
                    let backoff: Duration
                    switch state {
                    case .idle: backoff = Self.firstReconnectBackoff
                    case .backingOff(_, let next, _): backoff = next
                    default: return nil
                    }
                    let attempt = connect()
                    state = .connecting(attempt)
                    return (attempt, backoff)
                }
                guard let (attempt, backoff) = attempt else { continue }  // another caller started one first
                do {
                    let ready = try await attempt.get()
                    connection.withLock { $0 = .ready(ready) }
                    return ready
                } catch {
                    // Fail fast for a while rather than have every call pay for a connect that will fail.
                    let next = min(backoff * 2, Self.maxReconnectBackoff)
                    let reason = Self.reason(error)
                    connection.withLock { $0 = .backingOff(until: .now + backoff, next: next, reason: reason) }
                    throw RPCError(.unavailable, "cannot connect to \(host):\(port): \(reason)", cause: error)
                }
            }
        }
    }

    private func connect() -> EventLoopFuture<Connection> {
        let (host, authority) = (host, "\(host):\(port)")
        let (settings, maxMessageSize, security) = (settings, maxMessageSize, security)
        // The handshake's outcome, set by the initializer of this one connection attempt.
        let secured = Handshake()
        return ClientBootstrap(group: group)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let security {
                        let handshake = try security.secure(channel, host: host)
                        secured.future.withLock { $0 = handshake }
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        ClientConnectionHandler(
                            authority: authority, scheme: security == nil ? "http" : "https", settings: settings,
                            maxMessageSize: maxMessageSize)
                    )
                }
            }
            .connect(host: host, port: port)
            .flatMap { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try channel.pipeline.syncOperations.handler(type: ClientConnectionHandler.self)
                    return Connection(channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                }.flatMap { connection in
                    guard let handshake = secured.future.withLock({ $0 }) else { return channel.eventLoop.makeSucceededFuture(connection) }
                    return handshake.map { connection }.flatMapErrorThrowing { error in
                        channel.close(promise: nil)
                        throw error
                    }
                }
            }
    }
}

/// Carries a connection's TLS handshake from its channel initializer to the connect future.
private final class Handshake: Sendable {
    let future = Mutex<EventLoopFuture<Void>?>(nil)
}

extension HTTP2ClientTransport {
    /// "connection refused" rather than NIO's nested description of every attempt; a failure outside connect
    /// itself names the call ("permission denied (setsockopt)"), which says where to look.
    static func reason(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError, let first = error.connectionErrors.first?.error {
            return reason(first)
        }
        if let error = error as? IOError {
            let text = String(cString: strerror(error.errnoCode)).lowercased()
            // NIO describes an IOError as "<call>: <strerror>) (errno: N)".
            let call = error.description.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
            return call.isEmpty || call.hasPrefix("connect") ? text : "\(text) (\(call))"
        }
        return "\(error)"
    }
}
