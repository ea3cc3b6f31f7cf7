internal import Synchronization

/// The request messages of a call, decoded as they arrive. A message that does not decode ends the call with
/// INTERNAL, as other gRPC runtimes do.
package struct ServerRequestStream<Message: Sendable>: AsyncSequence, Sendable {
    package typealias Failure = any Error
    let base: RPCAsyncSequence<[UInt8]>
    let codec: MessageCodec<Message>

    package func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), codec: codec)
    }

    package struct AsyncIterator: AsyncIteratorProtocol {
        var base: RPCAsyncSequence<[UInt8]>.AsyncIterator
        let codec: MessageCodec<Message>

        package mutating func next() async throws -> Message? {
            guard let bytes = try await base.next() else { return nil }
            return try codec.decode(bytes, .request)
        }
    }
}

/// Writes a call's response: optional initial metadata, then messages. The server writes the status when the
/// handler returns or throws.
package struct ServerResponseWriter<Message: Sendable>: Sendable {
    private let outbound: RPCWriter<RPCResponsePart>
    private let codec: MessageCodec<Message>
    private let headers = HeadersLatch()

    init(outbound: RPCWriter<RPCResponsePart>, codec: MessageCodec<Message>) {
        self.outbound = outbound
        self.codec = codec
    }

    /// Sends response headers now; without this they go out (empty) with the first message.
    package func writeInitialMetadata(_ metadata: Metadata) async throws {
        guard headers.claim() else {
            throw RPCError(.internal, "initial metadata was already sent")
        }
        try await outbound.write(.metadata(metadata))
    }

    package func write(_ message: Message) async throws {
        let bytes = try codec.encode(message, .response)
        if headers.claim() {
            try await outbound.write(.metadata([:]))
        }
        try await outbound.write(.message(bytes))
    }
}

/// Shared by the copies of one writer: whether the response headers went out.
private final class HeadersLatch: Sendable {
    private let sent = Mutex(false)

    /// True exactly once: for the caller that gets to send the headers.
    func claim() -> Bool {
        sent.withLock { sent in
            defer { sent = true }
            return !sent
        }
    }
}

/// A unary or client-streaming handler's answer.
package struct ServerResponse<Message: Sendable>: Sendable {
    package var message: Message
    package var initialMetadata: Metadata
    package var trailingMetadata: Metadata

    package init(_ message: Message, initialMetadata: Metadata = [:], trailingMetadata: Metadata = [:]) {
        self.message = message
        self.initialMetadata = initialMetadata
        self.trailingMetadata = trailingMetadata
    }
}
