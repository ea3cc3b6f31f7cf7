package import RPCCore
package import ServiceKit

/// One RPC served in-process for a REST request: the request message goes in, response parts come out as
/// they are written. The call is cancelled when the consumer stops reading (the HTTP client went away).
struct LocalCall: Sendable {
    let local: LocalCalls
    let path: String
    let metadata: Metadata
    let deadline: ContinuousClock.Instant?
    let peer: String
    let message: [UInt8]

    func parts() -> AsyncStream<RPCResponsePart> {
        let (parts, continuation) = AsyncStream.makeStream(of: RPCResponsePart.self)
        let stream = RPCStream(
            path: path, metadata: metadata, deadline: deadline, peer: peer, inbound: .elements([message]),
            outbound: RPCWriter { part in
                continuation.yield(part)
                if case .status = part { continuation.finish() }
            })
        let task = Task { [local] in
            await local.handle(stream)
            continuation.finish()
        }
        continuation.onTermination = { reason in
            if case .cancelled = reason { task.cancel() }
        }
        return parts
    }
}
