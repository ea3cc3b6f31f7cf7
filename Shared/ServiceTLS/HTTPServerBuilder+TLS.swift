package import HummingbirdCore
internal import Logging
internal import NIOCore

extension HTTPServerBuilder {
    /// HTTP/1.1 over TLS whose certificate follows `tls`'s source: HummingbirdTLS fixes the context when
    /// the server is built, this one takes the current context for every connection, so SIGHUP renews it.
    package static func http1(configuration: HTTP1Channel.Configuration, tls: ServerTLS) -> HTTPServerBuilder {
        .init { responder in
            TLSHTTP1Channel(base: HTTP1Channel(responder: responder, configuration: configuration), tls: tls)
        }
    }
}

/// `HTTP1Channel` behind `ServerTLS`.
struct TLSHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value

    let base: HTTP1Channel
    let tls: ServerTLS

    var responder: HTTPChannelHandler.Responder { base.responder }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try tls.secure(channel)
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
