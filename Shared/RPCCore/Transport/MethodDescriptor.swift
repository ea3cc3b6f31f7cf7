/// Describes one RPC method: its path on the wire, its call kind and whether it may be retried.
///
/// Generated for every method of every service in `proto/` (see `Contracts`), e.g.
/// `StorageV1.Threads.Method.GetThread.descriptor`.
package struct MethodDescriptor: Sendable, Hashable, CustomStringConvertible {
    /// How many messages flow in each direction.
    package enum Kind: Sendable, Hashable {
        case unary
        case clientStreaming
        case serverStreaming
        case bidirectionalStreaming

        package init(clientStreaming: Bool, serverStreaming: Bool) {
            switch (clientStreaming, serverStreaming) {
            case (false, false): self = .unary
            case (true, false): self = .clientStreaming
            case (false, true): self = .serverStreaming
            case (true, true): self = .bidirectionalStreaming
            }
        }
    }

    /// From the method's `idempotency_level` option: only idempotent methods are retried by the client.
    package enum Idempotency: Sendable, Hashable {
        case unknown
        case idempotent
        case noSideEffects

        /// True when calling the method twice has the same effect as calling it once.
        package var allowsRetry: Bool { self != .unknown }
    }

    /// Fully qualified service name, e.g. `clientanalyze.storage.v1.Threads`.
    package var service: String
    /// Method name, e.g. `GetThread`.
    package var method: String
    package var kind: Kind
    package var idempotency: Idempotency
    /// Fully qualified proto name of the request message.
    package var requestType: String
    /// Fully qualified proto name of the response message.
    package var responseType: String

    package init(
        service: String,
        method: String,
        kind: Kind,
        idempotency: Idempotency,
        requestType: String,
        responseType: String
    ) {
        self.service = service
        self.method = method
        self.kind = kind
        self.idempotency = idempotency
        self.requestType = requestType
        self.responseType = responseType
    }

    /// The HTTP/2 `:path`, e.g. `/clientanalyze.storage.v1.Threads/GetThread`.
    package var path: String { "/\(service)/\(method)" }

    package var description: String { path }
}
