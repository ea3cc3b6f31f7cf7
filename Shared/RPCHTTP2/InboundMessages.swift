internal import RPCCore
internal import Synchronization

/// The request messages of one server stream, on their way from the connection (its event loop) to the
/// handler task.
///
/// A small queue rather than a general async-sequence producer: most calls are unary, whose one message and
/// end of stream usually arrive before the handler first asks, so `next()` then returns without suspending.
/// Backpressure: `append` reports when more than `highWatermark` messages wait (the connection then holds back
/// the flow-control window); once the handler has drained them to `lowWatermark`, `onDemand` tells the
/// connection to open it again.
final class InboundMessages: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    typealias Failure = any Error

    private struct State {
        var messages: [[UInt8]] = []
        var readIndex = 0
        /// Set when the client half-closed (nil error) or the stream failed.
        var end: (any Error)??
        var waiter: CheckedContinuation<[UInt8]?, any Error>?
        /// The connection was told to stop crediting the window and waits for `onDemand`.
        var paused = false
        /// The handler task was cancelled while it waited: it is not to wait again.
        var cancelled = false

        var count: Int { messages.count - readIndex }

        mutating func pop() -> [UInt8] {
            let message = messages[readIndex]
            readIndex += 1
            if readIndex == messages.count {
                messages.removeAll(keepingCapacity: true)
                readIndex = 0
            }
            return message
        }
    }

    private static let highWatermark = 32
    private static let lowWatermark = 4

    private let state = Mutex(State())
    private let onDemand: @Sendable () -> Void

    init(onDemand: @escaping @Sendable () -> Void) { self.onDemand = onDemand }

    // MARK: - Connection side

    /// Queues a message for the handler; false when the queue is full and the sender should be held back.
    func append(_ message: [UInt8]) -> Bool {
        let (waiter, first, demand) = state.withLock { state -> (CheckedContinuation<[UInt8]?, any Error>?, [UInt8]?, Bool) in
            guard state.end == nil else { return (nil, nil, true) }
            state.messages.append(message)
            let waiter = state.waiter
            state.waiter = nil
            let first = waiter == nil ? nil : state.pop()
            if state.count > Self.highWatermark { state.paused = true }
            return (waiter, first, !state.paused)
        }
        waiter?.resume(returning: first)
        return demand
    }

    /// Ends the sequence: normally when the client half-closed, with `error` when the stream failed.
    func finish(_ error: (any Error)? = nil) {
        let waiter = state.withLock { state -> CheckedContinuation<[UInt8]?, any Error>? in
            guard state.end == nil else { return nil }
            state.end = .some(error)
            if error != nil {
                state.messages.removeAll()
                state.readIndex = 0
            }
            defer { state.waiter = nil }
            return state.waiter
        }
        if let error { waiter?.resume(throwing: error) } else { waiter?.resume(returning: nil) }
    }

    // MARK: - Handler side

    func makeAsyncIterator() -> Iterator { Iterator(messages: self) }

    struct Iterator: AsyncIteratorProtocol {
        let messages: InboundMessages

        mutating func next() async throws -> [UInt8]? { try await messages.next() }
    }

    /// Once the client has half-closed: every message still queued, taken; nil (nothing taken) before that.
    /// Throws the stream's failure.
    func remainingIfEnded() throws -> [[UInt8]]? {
        let (taken, resumeSender) = state.withLock { state -> (Result<[[UInt8]], any Error>?, Bool) in
            guard let end = state.end else { return (nil, false) }
            if let error = end { return (.failure(error), false) }
            let messages = Array(state.messages[state.readIndex...])
            state.messages = []
            state.readIndex = 0
            // A full queue held back window credit; nothing more comes on this stream, but the connection's
            // window must get it back.
            defer { state.paused = false }
            return (.success(messages), state.paused)
        }
        if resumeSender { onDemand() }
        return try taken?.get()
    }

    private enum Poll {
        case message([UInt8], resumeSender: Bool)
        case ended((any Error)?)
        case empty
    }

    private func poll(_ state: inout State) -> Poll {
        if state.count > 0 {
            let message = state.pop()
            let resume = state.paused && state.count <= Self.lowWatermark
            if resume { state.paused = false }
            return .message(message, resumeSender: resume)
        }
        if let end = state.end { return .ended(end) }
        return .empty
    }

    func next() async throws -> [UInt8]? {
        switch state.withLock({ poll(&$0) }) {
        case .message(let message, let resumeSender):
            if resumeSender { onDemand() }
            return message
        case .ended(let error):
            if let error { throw error }
            return nil
        case .empty:
            break
        }
        try Task.checkCancellation()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let outcome = state.withLock { state -> Poll in
                    let outcome = poll(&state)
                    if case .empty = outcome {
                        if state.cancelled { return .ended(CancellationError()) }
                        state.waiter = continuation
                    }
                    return outcome
                }
                switch outcome {
                case .message(let message, let resumeSender):
                    if resumeSender { onDemand() }
                    continuation.resume(returning: message)
                case .ended(let error):
                    if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: nil) }
                case .empty:
                    break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                state.cancelled = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
