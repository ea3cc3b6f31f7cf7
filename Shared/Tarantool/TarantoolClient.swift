package import Logging
internal import NIOCore
internal import NIOPosix
internal import Synchronization

/// A Tarantool client over one multiplexed IPROTO connection: requests from any number of tasks share it,
/// matched by sync id. A lost connection is re-established on the next request, no sooner than the backoff
/// allows (doubling to `maxBackoff`), and `onConnect` runs on every new connection before it is used (the
/// storage backend makes sure its schema is there).
package final class TarantoolClient: Sendable {
    package struct Configuration: Sendable {
        package var host: String
        package var port: Int
        package var user: String
        package var password: String
        /// How long a request may wait for its answer.
        package var timeout: Duration = .seconds(5)
        package var connectTimeout: Duration = .seconds(3)
        package var maxBackoff: Duration = .seconds(5)

        package init(host: String, port: Int, user: String, password: String) {
            self.host = host
            self.port = port
            self.user = user
            self.password = password
        }
    }

    private struct State {
        var connecting: Task<any Channel, any Error>?
        var channel: (any Channel)?
        var failures = 0
        var retryAfter: ContinuousClock.Instant?
        var lastError: TarantoolError?
    }

    private let configuration: Configuration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let onConnect: @Sendable (TarantoolSession) async throws -> Void
    private let state = Mutex(State())

    package init(
        _ configuration: Configuration, logger: Logger,
        onConnect: @escaping @Sendable (_ session: TarantoolSession) async throws -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        group = MultiThreadedEventLoopGroup.singleton
        self.onConnect = onConnect
    }

    /// True while a connection is up (for readiness reporting).
    package var isConnected: Bool { state.withLock { $0.channel?.isActive ?? false } }

    /// The last connection error, while disconnected.
    package var lastError: TarantoolError? { state.withLock { $0.channel == nil ? $0.lastError : nil } }

    // MARK: Requests

    package func request(_ request: IProto.Request) async throws -> IProto.Response {
        let channel = try await connectedChannel()
        do {
            return try await Self.send(request, on: channel, timeout: configuration.timeout)
        } catch let error as TarantoolError {
            if case .unavailable = error {
                state.withLock { state in
                    if state.channel === channel { state.channel = nil }
                    state.lastError = error
                }
                logger.warning("lost the Tarantool connection: \(error)")
            }
            throw error
        }
    }

    /// Calls a stored function; its return values.
    package func call(_ function: String, _ arguments: [MessagePack] = []) async throws -> [MessagePack] {
        try await request(.init(.call, [IProto.Key.functionName: .string(function), IProto.Key.tuple: .array(arguments)])).data
    }

    package func ping() async throws {
        _ = try await request(.init(.ping, [:]))
    }

    /// Closes the connection; later requests connect again.
    package func close() async {
        let channel = state.withLock { state -> (any Channel)? in
            defer { state.channel = nil }
            return state.channel
        }
        try? await channel?.close()
    }

    static func send(_ request: IProto.Request, on channel: any Channel, timeout: Duration) async throws -> IProto.Response {
        let promise = channel.eventLoop.makePromise(of: IProto.Response.self)
        channel.writeAndFlush(PendingRequest(request: request, promise: promise, timeout: .nanoseconds(Int64(timeout.nanoseconds))), promise: nil)
        let response = try await promise.futureResult.get()
        if let error = response.error { throw error }
        return response
    }

    // MARK: Connecting

    private func connectedChannel() async throws -> any Channel {
        enum Next {
            case ready(any Channel)
            case wait(Task<any Channel, any Error>)
            case refuse(TarantoolError)
        }
        let next = state.withLock { state -> Next in
            if let channel = state.channel, channel.isActive { return .ready(channel) }
            state.channel = nil
            if let connecting = state.connecting { return .wait(connecting) }
            if let retryAfter = state.retryAfter, ContinuousClock.now < retryAfter {
                return .refuse(state.lastError ?? .unavailable("reconnecting"))
            }
            let task = Task { try await self.connect() }
            state.connecting = task
            return .wait(task)
        }
        switch next {
        case .ready(let channel): return channel
        case .refuse(let error): throw error
        case .wait(let task):
            do {
                let channel = try await task.value
                state.withLock { state in
                    if state.connecting == task { state.connecting = nil }
                    state.channel = channel
                    state.failures = 0
                    state.retryAfter = nil
                }
                return channel
            } catch {
                let reason = error as? TarantoolError ?? .unavailable("\(error)")
                state.withLock { state in
                    guard state.connecting == task else { return }
                    state.connecting = nil
                    state.failures += 1
                    state.lastError = reason
                    let backoff = min(Duration.milliseconds(100) * (1 << min(state.failures - 1, 10)), configuration.maxBackoff)
                    state.retryAfter = .now + backoff
                }
                throw reason
            }
        }
    }

    private func connect() async throws -> any Channel {
        let greeting = group.next().makePromise(of: IProto.Greeting.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.nanoseconds(Int64(configuration.connectTimeout.nanoseconds)))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers(
                            ByteToMessageHandler(IProtoDecoder()), IProtoHandler(greeting: greeting))
                    }
                }
                .connect(host: configuration.host, port: configuration.port).get()
        } catch {
            greeting.fail(error)
            throw TarantoolError.unavailable("cannot connect to \(configuration.host):\(configuration.port): \(error)")
        }
        do {
            let hello = try await greeting.futureResult.get()
            if !configuration.user.isEmpty {
                _ = try await Self.send(
                    IProto.authRequest(user: configuration.user, password: configuration.password, salt: hello.salt), on: channel,
                    timeout: configuration.timeout)
            }
            do {
                try await onConnect(TarantoolSession(channel: channel))
            } catch {
                // The instance is up but not ready for us yet (its init script still running) or misconfigured.
                throw TarantoolError.unavailable("setting up the connection failed: \(error)")
            }
            logger.notice("connected to \(hello.version) at \(configuration.host):\(configuration.port)")
            return channel
        } catch {
            try? await channel.close()
            throw error
        }
    }
}

/// A connection being set up, for `onConnect`: requests on it skip the client's connection handling.
package struct TarantoolSession: Sendable {
    let channel: any Channel

    package func call(_ function: String, _ arguments: [MessagePack] = []) async throws -> [MessagePack] {
        try await TarantoolClient.send(
            .init(.call, [IProto.Key.functionName: .string(function), IProto.Key.tuple: .array(arguments)]), on: channel,
            timeout: .seconds(30)
        ).data
    }
}

extension Duration {
    fileprivate var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
