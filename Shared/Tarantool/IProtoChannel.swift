internal import NIOCore

/// What arrives on a Tarantool connection: the greeting once, then answers.
enum IProtoInbound {
    case greeting([UInt8])
    case response(IProto.Response)
}

/// Splits the byte stream into the greeting and then length-prefixed frames.
struct IProtoDecoder: ByteToMessageDecoder {
    typealias InboundOut = IProtoInbound

    /// Largest answer accepted (a SELECT is bounded by its limit; this only stops a broken stream).
    static let maxFrame = 64 << 20
    private var greeted = false

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if !greeted {
            guard let greeting = buffer.readBytes(length: IProto.Greeting.size) else { return .needMoreData }
            greeted = true
            context.fireChannelRead(Self.wrapInboundOut(.greeting(greeting)))
            return .continue
        }
        guard buffer.readableBytes >= 5 else { return .needMoreData }
        guard buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == 0xce,
            let length = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt32.self).map(Int.init)
        else { throw TarantoolError.protocolViolation("a frame must start with 0xce and a 32-bit length") }
        guard length <= Self.maxFrame else { throw TarantoolError.protocolViolation("frame of \(length) bytes") }
        guard buffer.readableBytes >= 5 + length else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 5)
        let payload = buffer.readBytes(length: length)!
        let (header, headerLength) = try MessagePack.decode(payload[...])
        let body = headerLength < payload.count ? try MessagePack.decode(payload[headerLength...]).value : .map([])
        guard let code = header[IProto.Key.requestType]?.int, let sync = header[IProto.Key.sync]?.int else {
            throw TarantoolError.protocolViolation("an answer without code or sync")
        }
        context.fireChannelRead(Self.wrapInboundOut(.response(.init(sync: UInt64(sync), code: code, body: body))))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}

/// A request on its way out, with the promise its answer completes.
struct PendingRequest {
    var request: IProto.Request
    var promise: EventLoopPromise<IProto.Response>
    var timeout: TimeAmount
}

/// Matches answers to requests by sync id, so any number of requests share one connection; times out the
/// ones that get no answer and fails every open one when the connection goes.
final class IProtoHandler: ChannelDuplexHandler {
    typealias InboundIn = IProtoInbound
    typealias OutboundIn = PendingRequest
    typealias OutboundOut = ByteBuffer

    let greeting: EventLoopPromise<IProto.Greeting>
    private var pending: [UInt64: (promise: EventLoopPromise<IProto.Response>, timeout: Scheduled<Void>)] = [:]
    private var nextSync: UInt64 = 1
    private var closedReason: TarantoolError?

    init(greeting: EventLoopPromise<IProto.Greeting>) { self.greeting = greeting }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let closedReason {
            request.promise.fail(closedReason)
            promise?.fail(closedReason)
            return
        }
        let sync = nextSync
        nextSync += 1
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let timeout = context.eventLoop.scheduleTask(in: request.timeout) {
            if let entry = loopBound.value.pending.removeValue(forKey: sync) { entry.promise.fail(TarantoolError.timedOut) }
        }
        pending[sync] = (request.promise, timeout)
        context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: request.request.frame(sync: sync))), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .greeting(let bytes):
            do {
                greeting.succeed(try IProto.Greeting(bytes))
            } catch {
                greeting.fail(error)
                context.close(promise: nil)
            }
        case .response(let response):
            // An answer after its timeout finds nothing: the caller has moved on.
            guard let entry = pending.removeValue(forKey: response.sync) else { return }
            entry.timeout.cancel()
            entry.promise.succeed(response)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error as? TarantoolError ?? .unavailable("\(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(.unavailable("the connection closed"))
        context.fireChannelInactive()
    }

    private func fail(_ reason: TarantoolError) {
        if closedReason == nil { closedReason = reason }
        greeting.fail(reason)
        let open = pending
        pending = [:]
        for entry in open.values {
            entry.timeout.cancel()
            entry.promise.fail(reason)
        }
    }
}
