package import NIOCore

/// What secures a server's connections (TLS), supplied by whoever owns the certificates so that the
/// transport needs no TLS library. It adds handlers at the front of a new connection's pipeline that pass
/// plaintext on to the HTTP/2 connection behind them.
package protocol ServerConnectionSecurity: Sendable {
    func secure(_ channel: any Channel) throws
}

/// What secures a client's connections. `host` is the host dialed; the future succeeds once the connection
/// is secure, so a certificate that is not trusted fails the connection attempt, with its reason.
package protocol ClientConnectionSecurity: Sendable {
    func secure(_ channel: any Channel, host: String) throws -> EventLoopFuture<Void>
}
