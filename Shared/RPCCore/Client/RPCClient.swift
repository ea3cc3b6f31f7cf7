/// Calls methods over a client transport with typed messages.
///
/// ```swift
/// let client = RPCClient(transport: transport)
/// let reply = try await client.unary(request, method: Threads.Method.GetThread.descriptor,
///                                    input: .proto, output: .proto, timeout: .seconds(2))
/// reply.message.thread?.inn
/// ```
///
/// The deadline of a call is the sooner of its `timeout` and the deadline of the RPC being handled by the
/// calling task (`RPCDeadline.current`), so a server that calls another service passes on the time left.
/// Failures throw `RPCError` with the status the server sent (or the transport's, e.g. UNAVAILABLE).
package struct RPCClient: Sendable {
    private let transport: any ClientTransport
    private let retryPolicy: RetryPolicy
    private let interceptors: [any ClientInterceptor]

    package init(
        transport: any ClientTransport,
        retryPolicy: RetryPolicy = .defaults,
        interceptors: [any ClientInterceptor] = []
    ) {
        self.transport = transport
        self.retryPolicy = retryPolicy
        self.interceptors = interceptors
    }

    /// A response with its metadata.
    package struct Response<Message: Sendable>: Sendable {
        package var message: Message
        package var initialMetadata: Metadata
        package var trailingMetadata: Metadata
    }

    package func unary<Input: Sendable, Output: Sendable>(
        _ request: Input,
        method: MethodDescriptor,
        input: MessageCodec<Input>,
        output: MessageCodec<Output>,
        metadata: Metadata = [:],
        timeout: Duration? = nil
    ) async throws -> Response<Output> {
        try await clientStreaming(requests: [request], method: method, input: input, output: output, metadata: metadata, timeout: timeout)
    }

    package func clientStreaming<Input: Sendable, Output: Sendable>(
        requests: [Input],
        method: MethodDescriptor,
        input: MessageCodec<Input>,
        output: MessageCodec<Output>,
        metadata: Metadata = [:],
        timeout: Duration? = nil
    ) async throws -> Response<Output> {
        try await call(requests: requests, method: method, input: input, output: output, metadata: metadata, timeout: timeout) { responses in
            var message: Output?
            for try await response in responses {
                guard message == nil else {
                    throw RPCError(.unimplemented, "\(method.path) answered with more than one message")
                }
                message = response
            }
            guard let message else { throw RPCError(.unimplemented, "\(method.path) answered without a message") }
            return message
        }
    }

    /// Sends the requests and hands the response messages to `body` as they arrive.
    package func call<Input: Sendable, Output: Sendable, Result: Sendable>(
        requests: [Input],
        method: MethodDescriptor,
        input: MessageCodec<Input>,
        output: MessageCodec<Output>,
        metadata: Metadata = [:],
        timeout: Duration? = nil,
        _ body: (ClientResponseStream<Output>) async throws -> Result
    ) async throws -> Response<Result> {
        try await callRetrying(
            requests: requests, method: method, input: input, output: output, metadata: metadata,
            timeout: timeout, body
        )
    }

    /// Sends requests as `requestStream` produces them (e.g. each after the previous response, for
    /// ping-pong) while `body` reads the responses. A stream of requests cannot be replayed, so such calls are
    /// never retried.
    package func call<Input: Sendable, Output: Sendable, Result: Sendable>(
        requestStream: RPCAsyncSequence<Input>,
        method: MethodDescriptor,
        input: MessageCodec<Input>,
        output: MessageCodec<Output>,
        metadata: Metadata = [:],
        timeout: Duration? = nil,
        _ body: (ClientResponseStream<Output>) async throws -> Result
    ) async throws -> Response<Result> {
        try await attempt(
            requests: requestStream, method: method, input: input, output: output, metadata: metadata,
            deadline: Self.deadline(timeout: timeout), body
        ).response.get()
    }

    /// Runs the call, again after UNAVAILABLE when the policy, the method and the deadline allow.
    private func callRetrying<Input: Sendable, Output: Sendable, Result: Sendable>(
        requests: [Input],
        method: MethodDescriptor,
        input: MessageCodec<Input>,
        output: MessageCodec<Output>,
        metadata: Metadata,
        timeout: Duration?,
        _ body: (ClientResponseStream<Output>) async throws -> Result
    ) async throws -> Response<Result> {
        let deadline = Self.deadline(timeout: timeout)
        var attemptNumber = 1
        while true {
            let outcome = try await attempt(
                requests: .elements(requests), method: method, input: input, output: output, metadata: metadata,
                deadline: deadline, body
            )
            guard case .failure(let error) = outcome.response, let rpcError = error as? RPCError,
                rpcError.code == .unavailable, !outcome.deliveredMessages, method.idempotency.allowsRetry,
                attemptNumber < retryPolicy.maxAttempts
            else { return try outcome.response.get() }
            let wait = retryPolicy.backoff(afterAttempt: attemptNumber)
            if let deadline, ContinuousClock.now + wait >= deadline { throw rpcError }
            try await Task.sleep(for: wait)
            attemptNumber += 1
        }
    }

    /// One attempt; reports whether any response message reached `body` (after which a retry would repeat
    /// what the caller has already seen).
    private func attempt<Input: Sendable, Output: Sendable, Result: Sendable>(
        requests: RPCAsyncSequence<Input>,
        method: MethodDescriptor,
        input: MessageCodec<Input>,
        output: MessageCodec<Output>,
        metadata: Metadata,
        deadline: ContinuousClock.Instant?,
        _ body: (ClientResponseStream<Output>) async throws -> Result
    ) async throws -> (response: Swift.Result<Response<Result>, any Error>, deliveredMessages: Bool) {
        var delivered = false
        do {
            let response = try await Self.chain(interceptors[...], method, PropagatedMetadata.merged(into: metadata)) { metadata in
                try await transport.withStream(
                    path: method.path,
                    metadata: metadata,
                    deadline: deadline,
                    requests: try Self.encode(requests, input)
                ) { parts in
                    let stream = ClientResponseStream(parts: parts, codec: output)
                    defer { delivered = stream.state.deliveredMessages }
                    let result = try await body(stream)
                    // Drain to the status so a failure after the last message is not missed.
                    let (initial, trailing) = try await stream.state.finish()
                    return Response(message: result, initialMetadata: initial, trailingMetadata: trailing)
                }
            }
            return (.success(response), delivered)
        } catch is CancellationError {
            throw RPCError(.cancelled, "the call was cancelled")
        } catch {
            return (.failure(error), delivered)
        }
    }

    private static func chain<Result: Sendable>(
        _ interceptors: ArraySlice<any ClientInterceptor>,
        _ method: MethodDescriptor,
        _ metadata: Metadata,
        _ call: (Metadata) async throws -> Result
    ) async throws -> Result {
        guard let first = interceptors.first else { return try await call(metadata) }
        return try await first.intercept(method: method, metadata: metadata) { metadata in
            try await chain(interceptors.dropFirst(), method, metadata, call)
        }
    }

    /// The deadline a call with `timeout` gets: the sooner of its own and the inherited one.
    package static func deadline(timeout: Duration?) -> ContinuousClock.Instant? {
        let own = timeout.map { ContinuousClock.now + $0 }
        switch (own, RPCDeadline.current) {
        case (let own?, let inherited?): return min(own, inherited)
        case (let own?, nil): return own
        case (nil, let inherited): return inherited
        }
    }
}

extension RPCClient {
    /// The requests as bytes: all at once when they are known up front (unary and client-streaming calls
    /// with an array), else as they are produced.
    fileprivate static func encode<Input: Sendable>(
        _ requests: RPCAsyncSequence<Input>,
        _ codec: MessageCodec<Input>
    ) throws -> RPCAsyncSequence<[UInt8]> {
        guard let known = requests.knownElements else { return RPCAsyncSequence(EncodedRequests(base: requests, codec: codec)) }
        return .elements(try known.map { try codec.encode($0, .request) })
    }
}

/// Request messages encoded as they are produced.
private struct EncodedRequests<Input: Sendable>: AsyncSequence, Sendable {
    let base: RPCAsyncSequence<Input>
    let codec: MessageCodec<Input>

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), codec: codec) }

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RPCAsyncSequence<Input>.AsyncIterator
        let codec: MessageCodec<Input>

        mutating func next() async throws -> [UInt8]? {
            guard let request = try await base.next() else { return nil }
            return try codec.encode(request, .request)
        }
    }
}
