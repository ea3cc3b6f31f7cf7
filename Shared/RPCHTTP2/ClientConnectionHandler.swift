internal import NIOCore
internal import RPCCore

/// The client side of one HTTP/2 connection: opens request streams, sends their messages and turns what the
/// server sends back into `RPCResponsePart`s. Runs on the connection's event loop only.
final class ClientConnectionHandler: NGHTTP2Connection {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct StreamState {
        var deframer: GRPCMessageDeframer
        var responses: ResponseParts
        var statusReceived = false
        /// Resets the stream with DEADLINE_EXCEEDED when the call's deadline passes.
        var deadlineTimer: Scheduled<Void>?
    }

    /// What a new call sends: its headers and, when they are all known up front, its request messages.
    struct StreamRequest: Sendable {
        var path: String
        var metadata: Metadata
        var deadline: ContinuousClock.Instant?
        /// Sent at once, followed by the end of the request; nil when they follow through `send`.
        var messages: [[UInt8]]?
        var responses: ResponseParts
    }

    let session: NGHTTP2Session
    private let authority: String
    /// `http` for h2c, `https` over TLS.
    private let scheme: String
    private let maxMessageSize: Int
    private var streams: [Int32: StreamState] = [:]
    private(set) var context: ChannelHandlerContext?
    var flushScheduled = false
    var outputBuffer: ByteBuffer?
    private(set) var isClosed = false
    private var closeReason: String?

    init(authority: String, scheme: String = "http", settings: HTTP2Settings, maxMessageSize: Int) throws {
        session = try NGHTTP2Session(role: .client, settings: settings)
        self.authority = authority
        self.scheme = scheme
        self.maxMessageSize = maxMessageSize
    }

    /// False after GOAWAY or when the connection closed: new calls need a new connection.
    var acceptsNewStreams: Bool { !isClosed && session.acceptsNewStreams }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { flush() }
    }

    func channelActive(context: ChannelHandlerContext) {
        flush()  // the client preface and SETTINGS
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        receive(unwrapInboundIn(data), context: context)
    }

    /// An error from beneath (a TLS alert: the server refused our certificate) closes the connection; it
    /// becomes part of the calls' UNAVAILABLE message.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if closeReason == nil { closeReason = "\(error)" }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        isClosed = true
        let closed = "the connection to \(authority) closed" + (closeReason.map { ": \($0)" } ?? "")
        for promise in writeWaiters.values { promise.fail(RPCError(.unavailable, closed)) }
        writeWaiters.removeAll()
        for state in streams.values {
            state.deadlineTimer?.cancel()
            if !state.statusReceived {
                state.responses.finish(throwing: RPCError(.unavailable, closed))
            }
        }
        streams.removeAll()
        context.fireChannelInactive()
    }

    // MARK: - Calls

    /// Opens a request stream whose response parts go to `request.responses`; nil when this connection
    /// takes no new streams (GOAWAY, closed).
    func openStream(_ request: StreamRequest) throws -> Int32? {
        guard acceptsNewStreams else { return nil }
        var headers: [(name: String, value: String)] = [
            (":method", "POST"), (":scheme", scheme), (":path", request.path), (":authority", authority),
            ("content-type", "application/grpc"), ("te", "trailers"), ("user-agent", "client-analyze/1"),
        ]
        if let deadline = request.deadline {
            headers.append(("grpc-timeout", GRPCTimeout(deadline - .now).headerValue))
        }
        headers += request.metadata.headerFields
        guard let streamID = session.submitRequest(headers) else {
            throw RPCError(.unavailable, "the connection to \(authority) does not accept new calls")
        }
        var state = StreamState(deframer: GRPCMessageDeframer(maxMessageSize: maxMessageSize), responses: request.responses)
        if let deadline = request.deadline, let loop = context?.eventLoop {
            let handler = NIOLoopBound(self, eventLoop: loop)
            let path = request.path
            state.deadlineTimer = loop.scheduleTask(in: TimeAmount(deadline - .now)) {
                handler.value.cancel(streamID: streamID, with: RPCError(.deadlineExceeded, "deadline exceeded calling \(path)"))
            }
        }
        streams[streamID] = state
        if let messages = request.messages {
            for message in messages { session.submitMessage(streamID: streamID, message) }
            session.submitEndStream(streamID: streamID)
        }
        scheduleFlush()
        return streamID
    }

    /// Queues a request message; returns a future to wait for when too much is queued for a slow server.
    func send(_ message: [UInt8], streamID: Int32) -> EventLoopFuture<Void>? {
        session.submitMessage(streamID: streamID, message)
        scheduleFlush()
        guard session.pendingBytes(streamID: streamID) > Self.writeHighWater, let loop = context?.eventLoop else { return nil }
        let promise = writeWaiters[streamID] ?? loop.makePromise()
        writeWaiters[streamID] = promise
        return promise.futureResult
    }

    private static let writeHighWater = 256 * 1024
    private static let writeLowWater = 64 * 1024
    private var writeWaiters: [Int32: EventLoopPromise<Void>] = [:]

    private func releaseWriters() {
        for (streamID, promise) in writeWaiters where session.pendingBytes(streamID: streamID) < Self.writeLowWater {
            writeWaiters[streamID] = nil
            promise.succeed()
        }
    }

    func finishRequest(streamID: Int32) {
        session.submitEndStream(streamID: streamID)
        scheduleFlush()
    }

    /// Resets the stream (RST_STREAM CANCEL): the caller gave up.
    func cancel(streamID: Int32, with error: RPCError) {
        guard let state = streams.removeValue(forKey: streamID) else { return }
        state.deadlineTimer?.cancel()
        session.resetStream(streamID: streamID, errorCode: 0x8)
        if !state.statusReceived { state.responses.finish(throwing: error) }
        scheduleFlush()
    }

    // MARK: - Events

    func handle(_ event: HTTP2Event) {
        switch event {
        case .headers(let streamID, let fields, .response, _):
            responseHeaders(streamID, fields)
        case .headers(let streamID, let fields, .trailers, _):
            trailers(streamID, fields)
        case .headers:
            break
        case .data(let streamID, let bytes):
            // Responses are handed on as they come: credit the window at once. (A caller that reads slowly
            // buffers in its response stream; see the note in the README.)
            session.consume(streamID: streamID, bytes.count)
            guard var state = streams[streamID] else { return }
            state.deframer.append(bytes)
            do {
                while let message = try state.deframer.next() { state.responses.yield(.message(message)) }
                streams[streamID] = state
            } catch {
                streams[streamID] = state
                cancel(streamID: streamID, with: error)
            }
        case .endStream(let streamID):
            guard let state = streams[streamID], !state.statusReceived else { return }
            streams[streamID] = nil
            state.deadlineTimer?.cancel()
            state.responses.finish(throwing: RPCError(.internal, "the server ended the stream without a status"))
        case .closed(let streamID, let errorCode):
            writeWaiters.removeValue(forKey: streamID)?.fail(RPCError(.cancelled, "the stream is closed"))
            guard let state = streams.removeValue(forKey: streamID) else { return }
            state.deadlineTimer?.cancel()
            guard !state.statusReceived else { return }
            state.responses.finish(throwing: Self.resetError(errorCode))
        case .goAway, .pingAck, .ping:
            break  // after GOAWAY `acceptsNewStreams` turns false; nghttp2 closes streams above the last id
        }
    }

    private func responseHeaders(_ streamID: Int32, _ fields: [(name: String, value: String)]) {
        guard let state = streams[streamID] else { return }
        let head = ResponseHead(fields)
        if let malformed = head.malformedMetadata {
            cancel(streamID: streamID, with: RPCError(.internal, "the server sent malformed metadata: \(malformed)"))
            return
        }
        guard head.httpStatus == 200 else {
            finish(streamID, state, RPCStatus(code: Self.code(forHTTPStatus: head.httpStatus), message: "HTTP status \(head.httpStatus)"), [:])
            return
        }
        if let status = head.status {
            // Trailers-Only: the whole response is this one header block.
            finish(streamID, state, status, head.metadata)
        } else {
            state.responses.yield(.metadata(head.metadata))
        }
    }

    private func trailers(_ streamID: Int32, _ fields: [(name: String, value: String)]) {
        guard let state = streams[streamID] else { return }
        let head = ResponseHead(fields)
        if let malformed = head.malformedMetadata {
            cancel(streamID: streamID, with: RPCError(.internal, "the server sent malformed trailers: \(malformed)"))
            return
        }
        let status = head.status ?? RPCStatus(code: .internal, message: "the trailers have no grpc-status")
        finish(streamID, state, status, head.metadata)
    }

    private func finish(_ streamID: Int32, _ state: StreamState, _ status: RPCStatus, _ trailers: Metadata) {
        var state = state
        do {
            try state.deframer.finish()
            state.responses.yield(.status(status, trailers))
            state.responses.finish()
        } catch {
            state.responses.finish(throwing: error)
        }
        state.statusReceived = true
        state.deadlineTimer?.cancel()
        state.deadlineTimer = nil
        streams[streamID] = state
    }

    /// RST_STREAM codes as gRPC statuses (PROTOCOL-HTTP2, "Errors").
    private static func resetError(_ code: UInt32) -> RPCError {
        switch code {
        case 0x7: RPCError(.unavailable, "the server refused the stream (REFUSED_STREAM)")
        case 0x8: RPCError(.cancelled, "the server cancelled the stream")
        case 0xB: RPCError(.resourceExhausted, "the server asked to calm down (ENHANCE_YOUR_CALM)")
        case 0xC: RPCError(.permissionDenied, "insufficient security (INADEQUATE_SECURITY)")
        default: RPCError(.internal, "the server reset the stream (HTTP/2 error \(code))")
        }
    }

    /// Non-200 answers, as gRPC maps them (http-grpc-status-mapping.md).
    private static func code(forHTTPStatus status: Int) -> RPCStatus.Code {
        switch status {
        case 400: .internal
        case 401: .unauthenticated
        case 403: .permissionDenied
        case 404: .unimplemented
        case 429, 502, 503, 504: .unavailable
        default: .unknown
        }
    }

    func eventsHandled() {}

    /// Request writers may go on once their streams drained.
    func didFlush(_ context: ChannelHandlerContext, wroteBytes: Bool) {
        releaseWriters()
    }
}

/// The parts of a response header block or trailers the client looks at.
private struct ResponseHead {
    var httpStatus = 200
    var status: RPCStatus?
    var metadata = Metadata()
    /// Why the custom fields could not be read (a `-bin` value that is not base64).
    var malformedMetadata: Metadata.WireError?

    init(_ fields: [(name: String, value: String)]) {
        var code: Int?
        var message = ""
        var custom: [(name: String, value: String)] = []
        for (name, value) in fields {
            switch name {
            case ":status": httpStatus = Int(value) ?? 0
            case "grpc-status": code = Int(value)
            case "grpc-message": message = StatusMessage.decode(value)
            case "content-type", "date", "server": break
            default: if !name.hasPrefix(":"), !name.hasPrefix("grpc-") { custom.append((name, value)) }
            }
        }
        if let code { status = RPCStatus(code: RPCStatus.Code(rawValue: code), message: message) }
        do {
            metadata = try Metadata(headerFields: custom)
        } catch {
            malformedMetadata = error
        }
    }
}
