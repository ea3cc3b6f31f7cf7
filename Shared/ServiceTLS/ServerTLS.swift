package import Logging
internal import Metrics
package import NIOCore
internal import NIOSSL
package import RPCHTTP2
internal import NIOTLS

/// TLS in front of a server's connections: each new connection gets a handler made from the source's
/// current context, so a reloaded certificate applies from the next connection on.
package struct ServerTLS: ServerConnectionSecurity {
    package let source: TLSContextSource
    private let failures: Counter
    private let logger: Logger

    /// - Parameter use: the port it secures (`rpc`, `rest`), a metric label.
    package init(source: TLSContextSource, use: String, logger: Logger) {
        self.source = source
        self.logger = logger
        failures = Counter(label: "tls_handshake_failures_total", dimensions: [("use", use)])
    }

    /// Adds the TLS handler at the front of a new connection's pipeline.
    package func secure(_ channel: any Channel) throws {
        let handlers = channel.pipeline.syncOperations
        try handlers.addHandler(NIOSSLServerHandler(context: source.context))
        try handlers.addHandler(HandshakeFailureCounter(failures: failures, logger: logger))
    }
}

/// Counts and logs (at debug: scanners would flood the log) connections whose handshake failed — a client
/// that does not trust the certificate, or one without an acceptable client certificate — and closes those
/// that have not finished it within `handshakeTimeout` (the connection's idle policy cannot reach them: its
/// GOAWAY would have to pass through the unfinished TLS).
private final class HandshakeFailureCounter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    static let handshakeTimeout = TimeAmount.seconds(10)

    private let failures: Counter
    private let logger: Logger
    private var settled = false
    private var timeout: Scheduled<Void>?

    init(failures: Counter, logger: Logger) {
        self.failures = failures
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timeout = context.eventLoop.scheduleTask(in: Self.handshakeTimeout) {
            let (counter, context) = bound.value
            counter.failed(context, reason: "no handshake within \(Self.handshakeTimeout.nanoseconds / 1_000_000_000) s")
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timeout?.cancel()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)
        if case TLSUserEvent.handshakeCompleted = event {
            settled = true
            timeout?.cancel()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failed(context, reason: "\(error)")
        context.fireErrorCaught(error)
    }

    /// One count per connection.
    private func failed(_ context: ChannelHandlerContext, reason: String) {
        guard !settled else { return }
        settled = true
        timeout?.cancel()
        failures.increment()
        logger.debug(
            "TLS handshake failed",
            metadata: ["peer": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")", "error": "\(reason)"])
    }
}
