internal import NIOCore
internal import RPCCore

/// Serves gRPC on one HTTP/2 connection: bytes from the socket go through nghttp2, request streams become
/// `RPCStream`s for the server, response parts come back through `write(_:streamID:)`.
///
/// Everything here runs on the connection's event loop; handlers reach it by hopping (`NIOLoopBound`).
final class ServerConnectionHandler: NGHTTP2Connection {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Configuration {
        var settings: HTTP2Settings
        var maxMessageSize: Int
        /// How long streams in flight may run after a graceful shutdown began.
        var drainTimeout: TimeAmount
        var connectionPolicy: ConnectionPolicy
    }

    /// Graceful shutdown (PROTOCOL-HTTP2): GOAWAY with the largest stream id, a PING so the client has seen
    /// it, then GOAWAY naming the last stream we will serve; close when those streams are done, or when the
    /// drain timeout runs out.
    private enum Shutdown {
        case running
        case noticeSent
        case finalGoAwaySent
    }

    /// A class, so the per-frame updates change it in place after one lookup.
    private final class StreamState {
        var deframer: GRPCMessageDeframer
        var inbound: InboundMessages
        /// The handler's task, cancelled when the stream ends before its status (reset, connection closed).
        var task: Task<Void, Never>?
        /// False while the handler's queue of request messages is full: received bytes are then held back
        /// from the flow-control window, so the client stops sending.
        var demand = true
        var heldBytes = 0
        /// A handler waiting for queued response bytes to drain (outbound backpressure).
        var writeWaiter: EventLoopPromise<Void>?
        var headersSent = false
        var statusSent = false

        init(deframer: GRPCMessageDeframer, inbound: InboundMessages) {
            self.deframer = deframer
            self.inbound = inbound
        }
    }

    /// Response bytes queued for one stream above which its writer waits, and below which it resumes.
    private static let writeHighWater = 256 * 1024
    private static let writeLowWater = 64 * 1024

    let session: NGHTTP2Session
    private let configuration: Configuration
    /// Starts the server's handler for a new stream; nil when the server no longer accepts streams.
    private let accept: @Sendable (RPCStream) -> Task<Void, Never>?
    private var streams = StreamMap<StreamState>()
    /// Streams opened by the events being handled, whose handlers start once those events are all handled.
    private var unstartedStreams: [(id: Int32, stream: RPCStream)] = []
    /// Streams whose writer waits for queued response bytes to drain.
    private var waitingWriters: [Int32] = []
    private(set) var context: ChannelHandlerContext?
    private var executor: EventLoopTaskExecutor?
    var flushScheduled = false
    var outputBuffer: ByteBuffer?
    private var shutdown = Shutdown.running
    private var management: ConnectionManagement
    private var managementTimer: RepeatedTask?
    /// The client's address, for every stream's context.
    private var peer = "unknown"
    /// When the bytes being handled arrived: the time of the events they hold, read from the clock once.
    private var receivedAt = ContinuousClock.now
    /// Response HEADERS or DATA were queued since the last flush (which tells `management`, once per flush).
    private var responseFramesQueued = false

    init(configuration: Configuration, accept: @escaping @Sendable (RPCStream) -> Task<Void, Never>?) throws {
        session = try NGHTTP2Session(role: .server, settings: configuration.settings)
        management = ConnectionManagement(policy: configuration.connectionPolicy, now: .now)
        self.configuration = configuration
        self.accept = accept
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        executor = EventLoopTaskExecutor(context.eventLoop)
        if let address = context.channel.remoteAddress { peer = "\(address)" }
        startManagementTimer(context)
        if context.channel.isActive { flush() }
    }

    func channelActive(context: ChannelHandlerContext) {
        flush()  // the server's SETTINGS
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        receivedAt = .now
        management.bytesReceived(now: receivedAt)
        receive(unwrapInboundIn(data), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        managementTimer?.cancel()
        for (_, state) in streams.entries {
            if !state.statusSent {
                state.inbound.finish(RPCError(.cancelled, "the connection closed"))
                state.task?.cancel()
            }
            state.writeWaiter?.fail(RPCError(.cancelled, "the connection closed"))
        }
        streams.removeAll()
        unstartedStreams.removeAll()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        managementTimer?.cancel()
        self.context = nil
    }

    /// Closes the connection now; the handlers of its streams are cancelled.
    func close() {
        context?.close(promise: nil)
    }

    /// Starts a graceful shutdown of this connection.
    func beginGracefulShutdown() {
        guard case .running = shutdown, let context else { return }
        session.submitShutdownNotice()
        session.submitPing()
        shutdown = .noticeSent
        flush()
        context.eventLoop.scheduleTask(in: configuration.drainTimeout) { [weak context] in
            context?.close(promise: nil)
        }
    }

    // MARK: - Keepalive and idle timeout

    private func startManagementTimer(_ context: ChannelHandlerContext) {
        let policy = configuration.connectionPolicy
        let shortest = [policy.idleTimeout, policy.keepaliveInterval, policy.keepaliveTimeout].compactMap { $0 }.min() ?? .seconds(1)
        // Check four times per shortest period, at most once a second: enough precision for timeouts of seconds.
        let period = max(TimeAmount(min(shortest / 4, .seconds(1))), .milliseconds(1))
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        managementTimer = context.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in
            handler.value.perform(handler.value.management.tick(now: .now))
        }
    }

    private func perform(_ action: ConnectionManagement.Action) {
        switch action {
        case .none:
            return
        case .sendKeepalivePing:
            session.submitPing()
        case .goAway(let errorCode, let debug):
            guard case .running = shutdown else { return }
            session.submitGoAway(errorCode: errorCode, debug: debug)
            shutdown = .finalGoAwaySent
        case .close:
            context?.close(promise: nil)
            return
        }
        flush()
    }

    // MARK: - Inbound

    func handle(_ event: HTTP2Event) {
        switch event {
        case .headers(let streamID, let fields, .request, let endStream):
            guard let context else { return }
            openStream(streamID, headers: fields, endStream: endStream, context: context)
        case .headers, .goAway:
            break  // a client sends no trailers in gRPC; its end of stream arrives as `.endStream`
        case .pingAck:
            if case .noticeSent = shutdown {
                session.submitGoAway()
                shutdown = .finalGoAwaySent
            } else {
                management.keepaliveAckReceived()
            }
        case .ping:
            perform(management.pingReceived(now: receivedAt))
        case .data(let streamID, let bytes):
            guard let state = streams[streamID] else {
                session.consume(streamID: streamID, bytes.count)  // for a stream we refused: keep the window open
                return
            }
            state.deframer.append(bytes)
            deliverMessages(streamID, state, received: bytes.count)
        case .endStream(let streamID):
            guard let state = streams[streamID] else { return }
            do {
                try state.deframer.finish()
                state.inbound.finish()
            } catch {
                state.inbound.finish(error)
            }
        case .closed(let streamID, let errorCode):
            guard let state = streams.removeValue(forKey: streamID) else { return }
            management.streamClosed(now: receivedAt)
            if !state.statusSent {
                state.inbound.finish(RPCError(.cancelled, "the client reset the stream (HTTP/2 error \(errorCode))"))
                state.task?.cancel()
            }
            state.writeWaiter?.fail(RPCError(.cancelled, "the stream is closed"))
            session.consume(streamID: streamID, state.heldBytes)
        }
    }

    private func deliverMessages(_ streamID: Int32, _ state: StreamState, received: Int) {
        do {
            while let message = try state.deframer.next() {
                if !state.inbound.append(message) { state.demand = false }
            }
        } catch {
            state.inbound.finish(error)
        }
        if state.demand {
            session.consume(streamID: streamID, received)
        } else {
            state.heldBytes += received
        }
    }

    /// The handler drained its queue: credit what was held back.
    fileprivate func resumeInbound(_ streamID: Int32) {
        guard let state = streams[streamID], creditHeldBytes(streamID, state) else { return }
        flush()
    }

    /// Opens the flow-control window by what was held back while the handler's queue was full; false if
    /// nothing was held.
    private func creditHeldBytes(_ streamID: Int32, _ state: StreamState) -> Bool {
        guard !state.demand else { return false }
        state.demand = true
        session.consume(streamID: streamID, state.heldBytes)
        state.heldBytes = 0
        return true
    }

    private func openStream(_ streamID: Int32, headers: [(name: String, value: String)], endStream: Bool, context: ChannelHandlerContext) {
        var request = RequestHead()
        for (name, value) in headers { request.add(name, value) }
        guard request.method == "POST" else {
            session.submitHeadersOnly(streamID: streamID, [(":status", "405")])
            return
        }
        guard request.contentType.hasPrefix("application/grpc") else {
            session.submitHeadersOnly(streamID: streamID, [(":status", "415")])
            return
        }
        let metadata: Metadata
        do {
            metadata = try Metadata(headerFields: request.custom)
        } catch {
            respondTrailersOnly(streamID, RPCStatus(code: .internal, message: "\(error)"))
            return
        }
        let deadline = request.timeout.map { receivedAt + $0.duration }
        let port = StreamPort(connection: NIOLoopBound(self, eventLoop: context.eventLoop), streamID: streamID)
        let inbound = InboundMessages { port.resumeInbound() }
        let state = StreamState(deframer: GRPCMessageDeframer(maxMessageSize: configuration.maxMessageSize), inbound: inbound)
        streams[streamID] = state
        management.streamOpened(now: receivedAt)

        let stream = RPCStream(
            path: request.path, metadata: metadata, deadline: deadline,
            peer: peer,
            inbound: RPCAsyncSequence(
                makeIterator: { RPCAsyncSequence.AsyncIterator(inbound.makeAsyncIterator()) },
                remainingIfEnded: { try inbound.remainingIfEnded() }
            ),
            outbound: RPCWriter({ try await port.write($0) }, writeNow: { try port.writeNow($0) }),
            executor: executor
        )
        unstartedStreams.append((streamID, stream))
    }

    /// Starts the handlers of the streams just opened. They start here rather than in `openStream` so that
    /// the request they read has usually arrived whole (its DATA and end of stream tend to come in the same
    /// read), and they start at once, on this loop (`Task.immediate`), so that a handler that does not wait
    /// answers before the flush that follows, without a trip through the loop's task queue.
    func eventsHandled() {
        guard !unstartedStreams.isEmpty else { return }
        for (streamID, stream) in unstartedStreams {
            // A stream reset by the same read is gone; its handler need not run.
            guard let state = streams[streamID] else { continue }
            guard let task = accept(stream) else {
                streams[streamID] = nil
                state.inbound.finish()
                respondTrailersOnly(streamID, RPCStatus(code: .unavailable, message: "the server is shutting down"))
                continue
            }
            // The handler may have finished already; cancelling its task later is then harmless.
            state.task = task
        }
        unstartedStreams.removeAll(keepingCapacity: true)
    }

    // MARK: - Outbound

    /// Sends one response part; throws CANCELLED once the stream is gone, so the handler stops. Returns a
    /// future to wait for when the stream has too many bytes queued for a slow peer.
    fileprivate func write(_ part: RPCResponsePart, streamID: Int32) throws -> EventLoopFuture<Void>? {
        guard let state = streams[streamID], !state.statusSent else {
            throw RPCError(.cancelled, "the stream is closed")
        }
        switch part {
        case .metadata(let metadata):
            if !state.headersSent {
                session.submitResponseHeaders(
                    streamID: streamID, metadata.isEmpty ? Self.responseHeaders : Self.responseHeaders + metadata.headerFields
                )
                state.headersSent = true
            }
        case .message(let bytes):
            if !state.headersSent {
                session.submitResponseHeaders(streamID: streamID, Self.responseHeaders)
                state.headersSent = true
            }
            session.submitMessage(streamID: streamID, bytes)
        case .status(let status, let trailers):
            state.statusSent = true
            // The handler reads no more: what the client still sends is dropped, and credited at once.
            state.inbound.finish()
            _ = creditHeldBytes(streamID, state)
            if state.headersSent {
                session.submitTrailers(
                    streamID: streamID, trailers.isEmpty ? Self.statusFields(status) : Self.statusFields(status) + trailers.headerFields
                )
            } else {
                session.submitHeadersOnly(streamID: streamID, Self.responseHeaders + Self.statusFields(status) + trailers.headerFields)
            }
        }
        responseFramesQueued = true
        var drained: EventLoopFuture<Void>?
        if session.pendingBytes(streamID: streamID) > Self.writeHighWater, let loop = context?.eventLoop {
            let promise = state.writeWaiter ?? loop.makePromise()
            if state.writeWaiter == nil { waitingWriters.append(streamID) }
            state.writeWaiter = promise
            drained = promise.futureResult
        }
        scheduleFlush()
        return drained
    }

    /// `write` when no waiting can follow: false, with nothing written, when the part would take the stream's
    /// queued bytes over the high-water mark (the caller then writes and waits through `write`).
    fileprivate func writeNow(_ part: RPCResponsePart, streamID: Int32) throws -> Bool {
        var size = 0
        if case .message(let bytes) = part { size = 5 + bytes.count }
        guard session.pendingBytes(streamID: streamID) + size <= Self.writeHighWater else { return false }
        _ = try write(part, streamID: streamID)  // nil: the queue stays at or under the mark
        return true
    }

    /// Lets writers go on whose streams have drained below the low-water mark.
    private func releaseWriters() {
        guard !waitingWriters.isEmpty else { return }
        waitingWriters.removeAll { streamID in
            guard let state = streams[streamID], let waiter = state.writeWaiter else { return true }  // gone
            guard session.pendingBytes(streamID: streamID) < Self.writeLowWater else { return false }
            state.writeWaiter = nil
            waiter.succeed()
            return true
        }
    }

    private func respondTrailersOnly(_ streamID: Int32, _ status: RPCStatus) {
        session.submitHeadersOnly(streamID: streamID, Self.responseHeaders + Self.statusFields(status))
    }

    private static let responseHeaders: [(name: String, value: String)] = [(":status", "200"), ("content-type", "application/grpc")]
    private static let okStatus: [(name: String, value: String)] = [("grpc-status", "0")]

    private static func statusFields(_ status: RPCStatus) -> [(name: String, value: String)] {
        if status.code == .ok, status.message.isEmpty { return okStatus }
        var fields = [(name: "grpc-status", value: String(status.code.rawValue))]
        if !status.message.isEmpty { fields.append(("grpc-message", StatusMessage.encode(status.message))) }
        return fields
    }

    /// Writers may go on once their streams drained; a connection in graceful shutdown closes when empty.
    func didFlush(_ context: ChannelHandlerContext, wroteBytes: Bool) {
        if responseFramesQueued, wroteBytes {
            responseFramesQueued = false
            management.framesSent(now: .now)
        }
        releaseWriters()
        if case .finalGoAwaySent = shutdown, streams.isEmpty {
            context.close(promise: nil)
        }
    }
}

/// A stream's way back to its connection, for the handler: its response writes, and the signal that it drained
/// its request queue. One object that every closure of the stream captures, and a closure that captures a
/// single reference needs no allocation of its own.
private final class StreamPort: Sendable {
    let connection: NIOLoopBound<ServerConnectionHandler>
    let streamID: Int32

    init(connection: NIOLoopBound<ServerConnectionHandler>, streamID: Int32) {
        self.connection = connection
        self.streamID = streamID
    }

    func write(_ part: RPCResponsePart) async throws {
        let loop = connection.eventLoop
        // Handlers run on the connection's loop (see `executor`), so the hop is usually not needed.
        if loop.inEventLoop {
            if let drained = try connection.value.write(part, streamID: streamID) { try await drained.get() }
        } else {
            try await loop.flatSubmit { [self] in
                do {
                    return try connection.value.write(part, streamID: streamID) ?? loop.makeSucceededVoidFuture()
                } catch {
                    return loop.makeFailedFuture(error)
                }
            }.get()
        }
    }

    func writeNow(_ part: RPCResponsePart) throws -> Bool {
        guard connection.eventLoop.inEventLoop else { return false }
        return try connection.value.writeNow(part, streamID: streamID)
    }

    func resumeInbound() {
        connection.eventLoop.execute { [self] in connection.value.resumeInbound(streamID) }
    }
}

/// The parts of a request's header block the server looks at (fields it never reads, such as `te` or
/// `user-agent`, do not reach it: see `NGHTTP2Session.isUnreadRequestField`).
private struct RequestHead {
    var method = ""
    var path = ""
    var contentType = ""
    var timeout: GRPCTimeout?
    var custom: [(name: String, value: String)] = []

    mutating func add(_ name: String, _ value: String) {
        // By length first: each field of every request then costs one string comparison, not up to eight.
        switch name.utf8.count {
        case 7 where name == ":method": method = value
        case 5 where name == ":path": path = value
        case 12 where name == "content-type": contentType = value
        case 12 where name == "grpc-timeout": timeout = GRPCTimeout(header: value)
        default:
            if !name.hasPrefix(":"), !name.hasPrefix("grpc-") { custom.append((name, value)) }
        }
    }
}
