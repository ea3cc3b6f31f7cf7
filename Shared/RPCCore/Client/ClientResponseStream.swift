/// The response messages of a call, decoded as they arrive; ends at an OK status and throws `RPCError` for
/// any other. Consumed by the task that made the call, so it is not `Sendable`.
package struct ClientResponseStream<Message: Sendable>: AsyncSequence {
    package typealias Failure = any Error
    let state: State
    private let codec: MessageCodec<Message>

    init(parts: RPCAsyncSequence<RPCResponsePart>, codec: MessageCodec<Message>) {
        state = State(parts: parts)
        self.codec = codec
    }

    package func makeAsyncIterator() -> AsyncIterator { AsyncIterator(state: state, codec: codec) }

    package struct AsyncIterator: AsyncIteratorProtocol {
        let state: State
        let codec: MessageCodec<Message>

        package mutating func next() async throws -> Message? {
            guard let bytes = try await state.nextMessage() else { return nil }
            return try codec.decode(bytes, .response)
        }
    }

    /// Reads response parts in order, for the one task consuming the call.
    final class State {
        private var parts: RPCAsyncSequence<RPCResponsePart>.AsyncIterator
        private var initialMetadata = Metadata()
        private var trailingMetadata: Metadata?
        /// Whether a response message was handed to the caller.
        private(set) var deliveredMessages = false

        init(parts: RPCAsyncSequence<RPCResponsePart>) {
            self.parts = parts.makeAsyncIterator()
        }

        func nextMessage() async throws -> [UInt8]? {
            if trailingMetadata != nil { return nil }
            while let part = try await parts.next() {
                switch part {
                case .metadata(let metadata):
                    initialMetadata = metadata
                case .message(let bytes):
                    deliveredMessages = true
                    return bytes
                case .status(let status, let trailers):
                    trailingMetadata = trailers
                    guard status.code == .ok else {
                        throw RPCError(status.code, status.message, metadata: trailers)
                    }
                    return nil
                }
            }
            throw RPCError(.internal, "the stream ended without a status")
        }

        /// Reads to the end and returns the metadata.
        func finish() async throws -> (initial: Metadata, trailing: Metadata) {
            while try await nextMessage() != nil {}
            return (initialMetadata, trailingMetadata ?? [:])
        }
    }
}
