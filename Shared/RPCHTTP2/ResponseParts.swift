internal import RPCCore
internal import Synchronization

/// The response parts of one client call, on their way from the connection (its event loop) to the calling
/// task.
///
/// An unbounded queue, hand-written rather than an `AsyncThrowingStream`: that one's generic implementation
/// looks its type metadata up at run time many times a call, a large share of a unary call's CPU in a client.
/// Parts queued before `finish(throwing:)` are still delivered, then the error. A cancelled caller is not
/// watched for here: the transport resets the stream on cancellation, which finishes the queue.
///
/// `InboundMessages` is the server's counterpart. The two are not one generic queue for the same reason: a
/// generic state struct shared between them has its metadata instantiated at run time on every call.
final class ResponseParts: AsyncSequence, Sendable {
    typealias Element = RPCResponsePart
    typealias Failure = any Error

    private struct State {
        var parts: [RPCResponsePart] = []
        var readIndex = 0
        /// Set once: nil error for a normal end.
        var end: (any Error)??
        var waiter: CheckedContinuation<RPCResponsePart?, any Error>?
    }

    private let state = Mutex(State())

    /// Queues a part; ignored once finished.
    func yield(_ part: RPCResponsePart) {
        let waiter = state.withLock { state -> CheckedContinuation<RPCResponsePart?, any Error>? in
            guard state.end == nil else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.parts.append(part)
            return nil
        }
        waiter?.resume(returning: part)
    }

    /// Ends the sequence after the parts already queued: normally, or with `error`. Only the first call counts.
    func finish(throwing error: (any Error)? = nil) {
        let waiter = state.withLock { state -> CheckedContinuation<RPCResponsePart?, any Error>? in
            guard state.end == nil else { return nil }
            state.end = .some(error)
            defer { state.waiter = nil }
            return state.waiter
        }
        if let error { waiter?.resume(throwing: error) } else { waiter?.resume(returning: nil) }
    }

    func makeAsyncIterator() -> Iterator { Iterator(parts: self) }

    struct Iterator: AsyncIteratorProtocol {
        let parts: ResponseParts

        mutating func next() async throws -> RPCResponsePart? { try await parts.next() }
    }

    private enum Poll {
        case part(RPCResponsePart)
        case ended((any Error)?)
        case empty
    }

    private static func poll(_ state: inout State) -> Poll {
        if state.readIndex < state.parts.count {
            let part = state.parts[state.readIndex]
            state.readIndex += 1
            if state.readIndex == state.parts.count {
                state.parts.removeAll(keepingCapacity: true)
                state.readIndex = 0
            }
            return .part(part)
        }
        if let end = state.end { return .ended(end) }
        return .empty
    }

    func next() async throws -> RPCResponsePart? {
        switch state.withLock({ Self.poll(&$0) }) {
        case .part(let part): return part
        case .ended(let error):
            if let error { throw error }
            return nil
        case .empty: break
        }
        return try await withCheckedThrowingContinuation { continuation in
            let outcome = state.withLock { state -> Poll in
                let outcome = Self.poll(&state)
                if case .empty = outcome { state.waiter = continuation }
                return outcome
            }
            switch outcome {
            case .part(let part): continuation.resume(returning: part)
            case .ended(let error):
                if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: nil) }
            case .empty: break
            }
        }
    }
}
