internal import Synchronization

/// Spreads calls over several transports to instances of one service, in turn. With the client's retry
/// policy, an idempotent call that finds one instance down is tried again on the next.
///
/// ```swift
/// let transport = RoundRobinTransport(["10.0.0.5", "10.0.0.6"].map { HTTP2ClientTransport(host: $0, port: 7003) })
/// ```
package final class RoundRobinTransport: ClientTransport {
    private let transports: [any ClientTransport]
    private let next = Atomic<Int>(0)

    package init(_ transports: [any ClientTransport]) {
        precondition(!transports.isEmpty, "RoundRobinTransport needs at least one transport")
        self.transports = transports
    }

    package func withStream<Result: Sendable>(
        path: String,
        metadata: Metadata,
        deadline: ContinuousClock.Instant?,
        requests: RPCAsyncSequence<[UInt8]>,
        _ body: (RPCAsyncSequence<RPCResponsePart>) async throws -> Result
    ) async throws -> Result {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
        let transport = transports[index % transports.count]
        return try await transport.withStream(path: path, metadata: metadata, deadline: deadline, requests: requests, body)
    }
}
