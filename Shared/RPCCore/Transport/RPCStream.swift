/// One RPC as a transport sees it: the request's path and metadata, the request messages as they arrive and a
/// writer for the response parts. Messages are serialized bytes; `RPCServer` and `RPCClient` turn them into
/// typed values.
///
/// A class: a stream passes through several hands per call (transport, launcher, server, router), and copying
/// a struct of this many references cost a retain and a release of each, every time.
package final class RPCStream: Sendable {
    /// `:path`, e.g. `/clientanalyze.storage.v1.Threads/GetThread`.
    package let path: String
    /// Request metadata (custom headers; reserved ones are consumed by the transport).
    package let metadata: Metadata
    /// From the request's `grpc-timeout`, relative to when the transport received the headers.
    package let deadline: ContinuousClock.Instant?
    /// Where the call came from, e.g. `ipv4:127.0.0.1:51234`.
    package let peer: String
    /// The request messages; the sequence ends when the client half-closes and throws if the stream is reset.
    package let inbound: RPCAsyncSequence<[UInt8]>
    /// Response parts: at most one `.metadata` first, then messages, then exactly one `.status`.
    package let outbound: RPCWriter<RPCResponsePart>
    /// Where the transport would like the handler to run (the connection's event loop for HTTP/2).
    package let executor: (any TaskExecutor)?
    /// Signalled when the client goes away before the answer; transports that can tell set it.
    package let abort: StreamAbort?

    package init(
        path: String,
        metadata: Metadata,
        deadline: ContinuousClock.Instant?,
        peer: String,
        inbound: RPCAsyncSequence<[UInt8]>,
        outbound: RPCWriter<RPCResponsePart>,
        executor: (any TaskExecutor)? = nil,
        abort: StreamAbort? = nil
    ) {
        self.path = path
        self.metadata = metadata
        self.deadline = deadline
        self.peer = peer
        self.inbound = inbound
        self.outbound = outbound
        self.executor = executor
        self.abort = abort
    }
}

/// What a server sends back on a stream.
package enum RPCResponsePart: Sendable, Hashable {
    /// Initial metadata (response headers); sent at most once, before any message.
    case metadata(Metadata)
    /// One serialized response message.
    case message([UInt8])
    /// The final status with trailing metadata; ends the stream.
    case status(RPCStatus, Metadata)
}

/// A type-erased asynchronous sequence, so transports can hand over whatever sequence they use internally.
package struct RPCAsyncSequence<Element: Sendable>: AsyncSequence, Sendable {
    package typealias Failure = any Error
    private let makeBase: @Sendable () -> AsyncIterator
    /// All the elements, when the sequence was made from them (`elements(_:)`): a transport can then send a
    /// unary request in one go instead of iterating.
    package let knownElements: [Element]?
    /// Once the sequence has ended: the elements not yet read, taken at once (an iterator then has nothing
    /// left); nil while it may still grow. Lets a unary handler take its one request without suspending.
    package let remainingIfEnded: (@Sendable () throws -> [Element]?)?

    package init<Base: AsyncSequence & Sendable>(_ base: Base) where Base.Element == Element {
        makeBase = { AsyncIterator(base.makeAsyncIterator()) }
        knownElements = nil
        remainingIfEnded = nil
    }

    /// For a transport that erases its own iterator: `makeIterator` can then capture its sequence as it is,
    /// which a generic initializer would box. `remainingIfEnded` must take from the same elements that the
    /// iterators read.
    package init(
        makeIterator: @escaping @Sendable () -> AsyncIterator, remainingIfEnded: (@Sendable () throws -> [Element]?)? = nil
    ) {
        makeBase = makeIterator
        knownElements = nil
        self.remainingIfEnded = remainingIfEnded
    }

    private init(makeBase: @escaping @Sendable () -> AsyncIterator, knownElements: [Element]) {
        self.makeBase = makeBase
        self.knownElements = knownElements
        remainingIfEnded = nil
    }

    package func makeAsyncIterator() -> AsyncIterator { makeBase() }

    package struct AsyncIterator: AsyncIteratorProtocol {
        private var nextElement: () async throws -> Element?

        package init<Base: AsyncIteratorProtocol>(_ base: Base) where Base.Element == Element {
            var iterator = base
            nextElement = { try await iterator.next() }
        }

        package mutating func next() async throws -> Element? { try await nextElement() }
    }

    /// A sequence of the given elements, for tests and for adapting single messages.
    package static func elements(_ elements: [Element]) -> Self {
        RPCAsyncSequence(makeBase: { AsyncIterator(ArrayAsyncSequence(elements: elements).makeAsyncIterator()) }, knownElements: elements)
    }
}

/// A type-erased writer: `write` suspends while the transport cannot take more (backpressure).
package struct RPCWriter<Element: Sendable>: Sendable {
    private let writeElement: @Sendable (Element) async throws -> Void
    private let writeElementNow: (@Sendable (Element) throws -> Bool)?

    /// `writeNow`, when given, writes without suspending if the transport can take the element at once and
    /// there is no need to wait before the next (true); otherwise it writes nothing (false) and `write` runs.
    package init(
        _ write: @escaping @Sendable (Element) async throws -> Void, writeNow: (@Sendable (Element) throws -> Bool)? = nil
    ) {
        writeElement = write
        writeElementNow = writeNow
    }

    package func write(_ element: Element) async throws {
        // A call into an async closure costs executor checks even when it never suspends.
        if try writeNow(element) { return }
        try await writeElement(element)
    }

    /// Writes the element if the transport takes it at once and nothing needs waiting for (true); otherwise
    /// writes nothing (false), and the caller goes on with `write`. Lets a caller that writes from an async
    /// function skip the async call (its frame and executor checks) in the usual case.
    package func writeNow(_ element: Element) throws -> Bool {
        guard let writeElementNow else { return false }
        return try writeElementNow(element)
    }
}

/// An array as an asynchronous sequence (for `RPCAsyncSequence.elements(_:)`).
private struct ArrayAsyncSequence<Element: Sendable>: AsyncSequence, Sendable {
    typealias Failure = Never
    let elements: [Element]

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(iterator: elements.makeIterator()) }

    struct AsyncIterator: AsyncIteratorProtocol {
        var iterator: IndexingIterator<[Element]>

        mutating func next() async -> Element? { iterator.next() }
    }
}
