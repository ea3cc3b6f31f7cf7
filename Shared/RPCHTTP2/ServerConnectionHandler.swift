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

    typealias InboundProducer = NIOThrowingAsyncSequenceProducer<
        [UInt8], any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, InboundDelegate
    >

    private struct StreamState {
        var deframer: GRPCMessageDeframer
        var inbound: InboundProducer.Source
        /// False while the handler's queue of request messages is full: received bytes are then held back
        /// from the flow-control window, so the client stops sending.
        var demand = true
        var heldBytes = 0
        /// A handler waiting for queued response bytes to drain (outbound backpressure).
        var writeWaiter: EventLoopPromise<Void>?
        var headersSent = false
        var statusSent = false
        /// Signalled if the stream ends before the status (the handler is then cancelled).
        let abort = StreamAbort()
    }

    /// Response bytes queued for one stream above which its writer waits, and below which it resumes.
    private static let writeHighWater = 256 * 1024
    private static let writeLowWater = 64 * 1024

    let session: NGHTTP2Session
    private let configuration: Configuration
    /// Hands a new stream to the server; false when the server no longer accepts streams.
    private let accept: @Sendable (RPCStream) -> Bool
    private var streams: [Int32: StreamState] = [:]
    private(set) var context: ChannelHandlerContext?
    private var executor: EventLoopTaskExecutor?
    var flushScheduled = false
    private var shutdown = Shutdown.running
    private var management: ConnectionManagement
    private var managementTimer: RepeatedTask?

    init(configuration: Configuration, accept: @escaping @Sendable (RPCStream) -> Bool) throws {
        session = try NGHTTP2Session(role: .server, settings: configuration.settings)
        management = ConnectionManagement(policy: configuration.connectionPolicy, now: .now)
        self.configuration = configuration
        self.accept = accept
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        executor = EventLoopTaskExecutor(context.eventLoop)
        startManagementTimer(context)
        if context.channel.isActive { flush() }
    }

    func channelActive(context: ChannelHandlerContext) {
        flush()  // the server's SETTINGS
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        management.bytesReceived(now: .now)
        receive(unwrapInboundIn(data), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        managementTimer?.cancel()
        for state in streams.values {
            if !state.statusSent {
                state.inbound.finish(RPCError(.cancelled, "the connection closed"))
                state.abort.abort()
            }
            state.writeWaiter?.fail(RPCError(.cancelled, "the connection closed"))
        }
        streams.removeAll()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        managementTimer?.cancel()
        self.context = nil
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
        let (seconds, attoseconds) = min(shortest / 4, .seconds(1)).components
        let period = TimeAmount.nanoseconds(max(1_000_000, seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
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
            perform(management.pingReceived(now: .now))
        case .data(let streamID, let bytes):
            guard streams[streamID] != nil else {
                session.consume(streamID: streamID, bytes.count)  // for a stream we refused: keep the window open
                return
            }
            streams[streamID]!.deframer.append(bytes)
            deliverMessages(streamID, received: bytes.count)
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
            management.streamClosed(now: .now)
            if !state.statusSent {
                state.inbound.finish(RPCError(.cancelled, "the client reset the stream (HTTP/2 error \(errorCode))"))
                state.abort.abort()
            }
            state.writeWaiter?.fail(RPCError(.cancelled, "the stream is closed"))
            session.consume(streamID: streamID, state.heldBytes)
        }
    }

    private func deliverMessages(_ streamID: Int32, received: Int) {
        guard var state = streams[streamID] else { return }
        defer { streams[streamID] = state }
        var messages: [[UInt8]] = []
        do {
            while let message = try state.deframer.next() { messages.append(message) }
        } catch {
            state.inbound.finish(error)
        }
        if !messages.isEmpty, case .stopProducing = state.inbound.yield(contentsOf: messages) {
            state.demand = false
        }
        if state.demand {
            session.consume(streamID: streamID, received)
        } else {
            state.heldBytes += received
        }
    }

    /// The handler drained its queue (or stopped reading): credit what was held back.
    fileprivate func resumeInbound(_ streamID: Int32, forever: Bool = false) {
        guard var state = streams[streamID] else { return }
        if forever || !state.demand {
            state.demand = true
            session.consume(streamID: streamID, state.heldBytes)
            state.heldBytes = 0
            streams[streamID] = state
            flush()
        }
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
        let deadline = request.timeout.map { ContinuousClock.now + $0.duration }
        let loop = context.eventLoop
        let handler = NIOLoopBound(self, eventLoop: loop)
        let producer = InboundProducer.makeSequence(
            backPressureStrategy: .init(lowWatermark: 4, highWatermark: 32),
            finishOnDeinit: false,
            delegate: InboundDelegate(handler: handler, streamID: streamID)
        )
        let inbound = producer.sequence
        let continuation = producer.source
        let state = StreamState(deframer: GRPCMessageDeframer(maxMessageSize: configuration.maxMessageSize), inbound: continuation)
        streams[streamID] = state
        management.streamOpened(now: .now)

        let outbound = RPCWriter<RPCResponsePart> { part in
            // Handlers run on this loop (see `executor`), so the hop is usually not needed.
            if loop.inEventLoop {
                if let drained = try handler.value.write(part, streamID: streamID) { try await drained.get() }
            } else {
                try await loop.flatSubmit {
                    do {
                        return try handler.value.write(part, streamID: streamID) ?? loop.makeSucceededVoidFuture()
                    } catch {
                        return loop.makeFailedFuture(error)
                    }
                }.get()
            }
        }
        let stream = RPCStream(
            path: request.path, metadata: metadata, deadline: deadline,
            peer: context.channel.remoteAddress.map { "\($0)" } ?? "unknown",
            inbound: RPCAsyncSequence(inbound), outbound: outbound, executor: executor, abort: state.abort
        )
        if !accept(stream) {
            streams[streamID] = nil
            continuation.finish()
            respondTrailersOnly(streamID, RPCStatus(code: .unavailable, message: "the server is shutting down"))
        }
    }

    // MARK: - Outbound

    /// Sends one response part; throws CANCELLED once the stream is gone, so the handler stops. Returns a
    /// future to wait for when the stream has too many bytes queued for a slow peer.
    private func write(_ part: RPCResponsePart, streamID: Int32) throws -> EventLoopFuture<Void>? {
        guard var state = streams[streamID], !state.statusSent else {
            throw RPCError(.cancelled, "the stream is closed")
        }
        switch part {
        case .metadata(let metadata):
            if !state.headersSent {
                session.submitResponseHeaders(streamID: streamID, Self.responseHeaders + metadata.headerFields)
                state.headersSent = true
            }
        case .message(let bytes):
            if !state.headersSent {
                session.submitResponseHeaders(streamID: streamID, Self.responseHeaders)
                state.headersSent = true
            }
            session.submitData(streamID: streamID, GRPCMessageDeframer.frame(bytes))
        case .status(let status, let trailers):
            state.statusSent = true
            if state.headersSent {
                session.submitTrailers(streamID: streamID, Self.statusFields(status) + trailers.headerFields)
            } else {
                session.submitHeadersOnly(streamID: streamID, Self.responseHeaders + Self.statusFields(status) + trailers.headerFields)
            }
        }
        management.framesSent(now: .now)
        var drained: EventLoopFuture<Void>?
        if session.pendingBytes(streamID: streamID) > Self.writeHighWater, let loop = context?.eventLoop {
            let promise = state.writeWaiter ?? loop.makePromise()
            state.writeWaiter = promise
            drained = promise.futureResult
        }
        streams[streamID] = state
        scheduleFlush()
        return drained
    }

    /// Lets writers go on whose streams have drained below the low-water mark.
    private func releaseWriters() {
        for (streamID, state) in streams where state.writeWaiter != nil {
            if session.pendingBytes(streamID: streamID) < Self.writeLowWater {
                streams[streamID]!.writeWaiter = nil
                state.writeWaiter!.succeed()
            }
        }
    }

    private func respondTrailersOnly(_ streamID: Int32, _ status: RPCStatus) {
        session.submitHeadersOnly(streamID: streamID, Self.responseHeaders + Self.statusFields(status))
    }

    private static let responseHeaders: [(name: String, value: String)] = [(":status", "200"), ("content-type", "application/grpc")]

    private static func statusFields(_ status: RPCStatus) -> [(name: String, value: String)] {
        var fields = [(name: "grpc-status", value: String(status.code.rawValue))]
        if !status.message.isEmpty { fields.append(("grpc-message", StatusMessage.encode(status.message))) }
        return fields
    }

    /// Writers may go on once their streams drained; a connection in graceful shutdown closes when empty.
    func didFlush(_ context: ChannelHandlerContext) {
        releaseWriters()
        if case .finalGoAwaySent = shutdown, streams.isEmpty {
            context.close(promise: nil)
        }
    }
}

/// Tells the connection when a handler wants more request messages, or stopped reading them.
struct InboundDelegate: NIOAsyncSequenceProducerDelegate {
    let handler: NIOLoopBound<ServerConnectionHandler>
    let streamID: Int32

    func produceMore() {
        let handler = handler
        let streamID = streamID
        handler.eventLoop.execute { handler.value.resumeInbound(streamID) }
    }

    func didTerminate() {
        let handler = handler
        let streamID = streamID
        handler.eventLoop.execute { handler.value.resumeInbound(streamID, forever: true) }
    }
}

/// The parts of a request's header block the server looks at.
private struct RequestHead {
    var method = ""
    var path = ""
    var contentType = ""
    var timeout: GRPCTimeout?
    var custom: [(name: String, value: String)] = []

    mutating func add(_ name: String, _ value: String) {
        switch name {
        case ":method": method = value
        case ":path": path = value
        case "content-type": contentType = value
        case "grpc-timeout": timeout = GRPCTimeout(header: value)
        case "te", "user-agent", ":scheme", ":authority": break
        default:
            if !name.hasPrefix(":"), !name.hasPrefix("grpc-") { custom.append((name, value)) }
        }
    }
}
