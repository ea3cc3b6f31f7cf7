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
/// that does not trust the certificate, or one without an acceptable client certificate.
private final class HandshakeFailureCounter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let failures: Counter
    private let logger: Logger
    private var established = false

    init(failures: Counter, logger: Logger) {
        self.failures = failures
        self.logger = logger
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            established = true
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !established {
            established = true  // one count per connection
            failures.increment()
            logger.debug(
                "TLS handshake failed",
                metadata: ["peer": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")", "error": "\(error)"])
        }
        context.fireErrorCaught(error)
    }
}
