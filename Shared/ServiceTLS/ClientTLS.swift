package import NIOCore
internal import NIOSSL
package import RPCHTTP2
internal import NIOTLS

/// TLS to a dependency: a handler from the source's current context per connection, checking the server's
/// certificate against `dependencies.tls.server_name` or the host dialed.
package struct ClientTLS: ClientConnectionSecurity {
    package let source: TLSContextSource
    private let serverName: String

    package init(source: TLSContextSource, serverName: String) {
        self.source = source
        self.serverName = serverName
    }

    /// The same, checking the servers' certificates against `name` whatever host is dialed.
    package func checking(name: String) -> ClientTLS {
        ClientTLS(source: source, serverName: name)
    }

    /// Adds the TLS handler at the front of a new connection's pipeline; the future succeeds once the
    /// handshake has, or fails with the reason the connection could not be secured.
    package func secure(_ channel: any Channel, host: String) throws -> EventLoopFuture<Void> {
        let name = serverName.isEmpty ? host : serverName
        // An IP address is not sent as SNI; NIOSSL then checks the certificate's IP addresses against the peer's.
        let hostname = Self.isIPAddress(name) ? nil : name
        let handshake = channel.eventLoop.makePromise(of: Void.self)
        let handlers = channel.pipeline.syncOperations
        try handlers.addHandler(NIOSSLClientHandler(context: source.context, serverHostname: hostname))
        try handlers.addHandler(HandshakeWaiter(handshake))
        return handshake.futureResult
    }

    private static func isIPAddress(_ text: String) -> Bool {
        (try? SocketAddress(ipAddress: text, port: 0)) != nil
    }
}

/// Completes a promise when the TLS handshake ends, either way, within `handshakeTimeout` (the TCP connect
/// timeout does not cover a peer that accepts and then says nothing), and says TLS failures in words for the
/// connection behind it (they become the calls' error messages).
private final class HandshakeWaiter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    static let handshakeTimeout = TimeAmount.seconds(5)

    private var promise: EventLoopPromise<Void>?
    private var timeout: Scheduled<Void>?

    init(_ promise: EventLoopPromise<Void>) {
        self.promise = promise
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timeout = context.eventLoop.scheduleTask(in: Self.handshakeTimeout) {
            let (waiter, context) = bound.value
            waiter.fail(TLSConnectionError(description: "TLS handshake failed: no answer within \(Self.handshakeTimeout.nanoseconds / 1_000_000_000) s"))
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            timeout?.cancel()
            promise?.succeed()
            promise = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // After the handshake only TLS's own errors (an alert from the server) are reworded.
        let isTLS = error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError
        let failure: any Error = promise != nil || isTLS ? TLSConnectionError(error, duringHandshake: promise != nil) : error
        fail(failure)
        context.fireErrorCaught(failure)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(TLSConnectionError.closedDuringHandshake)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail(TLSConnectionError.closedDuringHandshake)
    }

    private func fail(_ error: any Error) {
        timeout?.cancel()
        promise?.fail(error)
        promise = nil
    }
}

/// A TLS failure as a sentence: BoringSSL's reason ("certificate verify failed") rather than its error stack.
struct TLSConnectionError: Error, CustomStringConvertible {
    var description: String

    static let closedDuringHandshake = TLSConnectionError(description: "the server closed the connection during the TLS handshake")

    init(description: String) {
        self.description = description
    }

    init(_ error: any Error, duringHandshake: Bool) {
        let text = "\(error)"
        var reason = text
        if let match = text.firstMatch(of: /OPENSSL_internal:([A-Z0-9_]+)/) {
            reason = String(match.1.map { $0 == "_" ? " " : $0 }).lowercased()
        } else if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            reason = "the certificate is not for this server's name (\(text))"
        }
        // "tlsv1 alert unknown ca": the server refused the connection, most often our client certificate.
        if let alert = reason.firstMatch(of: /^(?:sslv3|tlsv1[0-9]*) alert (.+)$/) {
            reason = "the server sent the TLS alert \"\(alert.1)\""
        }
        description = duringHandshake ? "TLS handshake failed: \(reason)" : "TLS: \(reason)"
    }
}
