internal import NIOCore

/// What the client and server connection handlers share: feeding socket bytes to nghttp2 and writing what
/// it produces, coalesced to one socket write per event-loop tick.
protocol NGHTTP2Connection: ChannelInboundHandler where InboundIn == ByteBuffer, OutboundOut == ByteBuffer {
    var session: NGHTTP2Session { get }
    var context: ChannelHandlerContext? { get }
    var flushScheduled: Bool { get set }
    /// The buffer the last flush wrote from, kept for the next one (see `flush()`).
    var outputBuffer: ByteBuffer? { get set }
    /// Handles one event decoded by nghttp2.
    func handle(_ event: HTTP2Event)
    /// Runs once the events of one read are handled, before the flush that follows them.
    func eventsHandled()
    /// Runs after every flush (to release waiting writers, or to close a drained connection).
    func didFlush(_ context: ChannelHandlerContext, wroteBytes: Bool)
}

extension NGHTTP2Connection {
    /// Feeds received bytes through nghttp2; on a protocol error sends what nghttp2 queued (a GOAWAY) and
    /// closes the connection.
    func receive(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        // What is written while the events are handled goes out with the flush below, so none is scheduled.
        let flushWasScheduled = flushScheduled
        flushScheduled = true
        let events = try? buffer.withUnsafeReadableBytes { try session.receive($0) }
        if let events {
            for event in events { handle(event) }
            eventsHandled()
        }
        flushScheduled = flushWasScheduled
        flush()
        if events == nil { context.close(promise: nil) }
    }

    /// Flushes at the end of this event-loop tick, once however many streams wrote.
    func scheduleFlush() {
        guard !flushScheduled, let context else { return }
        flushScheduled = true
        let connection = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            connection.value.flushScheduled = false
            connection.value.flush()
        }
    }

    /// Writes whatever nghttp2 has queued, as one buffer, and flushes.
    ///
    /// The buffer is reused: the socket usually takes the bytes at once, after which this connection holds
    /// the only reference and `clear()` keeps its memory; if the write is still pending, `clear()` gets a new
    /// one. Buffers grown past 16 KiB (large messages) are let go, so idle connections hold little.
    func flush() {
        guard let context else { return }
        var buffer = outputBuffer ?? context.channel.allocator.buffer(capacity: 4096)
        outputBuffer = nil
        do {
            try session.drainOutput { bytes in buffer.writeBytes(bytes) }
        } catch {
            context.close(promise: nil)
            return
        }
        let wroteBytes = buffer.readableBytes > 0
        if wroteBytes {
            context.writeAndFlush(NIOAny(buffer), promise: nil)
        }
        if buffer.capacity <= 16 * 1024 {
            buffer.clear()
            outputBuffer = buffer
        }
        didFlush(context, wroteBytes: wroteBytes)
    }
}
