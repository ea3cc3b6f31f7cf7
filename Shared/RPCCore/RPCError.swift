/// An RPC that ended with a status other than OK.
///
/// Handlers throw it to choose the status their caller sees; clients receive it for every failed call.
/// Any other error thrown by a handler reaches the caller as UNKNOWN without its details (which are logged),
/// so internals never leak.
///
/// ```swift
/// throw RPCError(.invalidArgument, "inn: checksum digit 10 must be 3")
/// ```
package struct RPCError: Error, Sendable, Hashable, CustomStringConvertible {
    package var code: RPCStatus.Code
    package var message: String
    /// Trailing metadata sent with the status.
    package var metadata: Metadata
    /// The underlying error, for logs; never sent to the peer.
    package var cause: (any Error & Sendable)?

    package init(_ code: RPCStatus.Code, _ message: String, metadata: Metadata = [:], cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.metadata = metadata
        self.cause = cause
    }

    /// The status the peer sees.
    package var status: RPCStatus { RPCStatus(code: code, message: message) }

    package var description: String {
        var text = "\(code.name): \(message)"
        if let cause { text += " (cause: \(cause))" }
        return text
    }

    package static func == (lhs: RPCError, rhs: RPCError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.metadata == rhs.metadata
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
        hasher.combine(metadata)
    }
}

/// An error that knows which RPC status it should become (domain errors of each service conform).
package protocol RPCErrorConvertible: Error {
    var rpcError: RPCError { get }
}

extension RPCError: RPCErrorConvertible {
    package var rpcError: RPCError { self }
}
