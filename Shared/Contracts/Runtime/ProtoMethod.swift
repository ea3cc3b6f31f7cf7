package import RPCCore

/// A generated RPC method with protobuf request and response types, e.g.
/// `StorageV1.Threads.Method.GetThread`. Lets servers and clients be written without naming codecs:
///
/// ```swift
/// router.registerUnary(Threads.Method.GetThread.self) { request, context in ServerResponse(reply) }
/// let reply = try await client.unary(Threads.Method.GetThread.self, request)
/// ```
package protocol ProtoMethod {
    associatedtype Input: ProtoMessage
    associatedtype Output: ProtoMessage
    static var descriptor: MethodDescriptor { get }
}

extension RPCRouter {
    package mutating func registerUnary<M: ProtoMethod>(
        _ method: M.Type,
        handler: @escaping @Sendable (M.Input, ServerContext) async throws -> ServerResponse<M.Output>
    ) {
        registerUnary(M.descriptor, input: .proto, output: .proto, handler: handler)
    }

    package mutating func registerServerStreaming<M: ProtoMethod>(
        _ method: M.Type,
        handler: @escaping @Sendable (M.Input, ServerResponseWriter<M.Output>, ServerContext) async throws -> Metadata
    ) {
        registerServerStreaming(M.descriptor, input: .proto, output: .proto, handler: handler)
    }

    package mutating func registerClientStreaming<M: ProtoMethod>(
        _ method: M.Type,
        handler: @escaping @Sendable (ServerRequestStream<M.Input>, ServerContext) async throws -> ServerResponse<M.Output>
    ) {
        registerClientStreaming(M.descriptor, input: .proto, output: .proto, handler: handler)
    }

    package mutating func registerBidirectional<M: ProtoMethod>(
        _ method: M.Type,
        handler: @escaping @Sendable (
            ServerRequestStream<M.Input>, ServerResponseWriter<M.Output>, ServerContext
        ) async throws -> Metadata
    ) {
        register(M.descriptor, input: .proto, output: .proto, handler: handler)
    }
}

extension RPCClient {
    package func unary<M: ProtoMethod>(
        _ method: M.Type,
        _ request: M.Input,
        metadata: Metadata = [:],
        timeout: Duration? = nil
    ) async throws -> Response<M.Output> {
        try await unary(request, method: M.descriptor, input: .proto, output: .proto, metadata: metadata, timeout: timeout)
    }

    package func clientStreaming<M: ProtoMethod>(
        _ method: M.Type,
        _ requests: [M.Input],
        metadata: Metadata = [:],
        timeout: Duration? = nil
    ) async throws -> Response<M.Output> {
        try await clientStreaming(
            requests: requests, method: M.descriptor, input: .proto, output: .proto, metadata: metadata, timeout: timeout
        )
    }

    /// Server-streaming and bidirectional calls: `body` reads the responses as they arrive.
    package func streaming<M: ProtoMethod, Result: Sendable>(
        _ method: M.Type,
        _ requests: [M.Input],
        metadata: Metadata = [:],
        timeout: Duration? = nil,
        _ body: (ClientResponseStream<M.Output>) async throws -> Result
    ) async throws -> Response<Result> {
        try await call(
            requests: requests, method: M.descriptor, input: .proto, output: .proto, metadata: metadata,
            timeout: timeout, body
        )
    }

    /// A call whose requests are produced while the responses arrive (bidirectional ping-pong).
    package func streaming<M: ProtoMethod, Result: Sendable>(
        _ method: M.Type,
        requestStream: RPCAsyncSequence<M.Input>,
        metadata: Metadata = [:],
        timeout: Duration? = nil,
        _ body: (ClientResponseStream<M.Output>) async throws -> Result
    ) async throws -> Response<Result> {
        try await call(
            requestStream: requestStream, method: M.descriptor, input: .proto, output: .proto, metadata: metadata,
            timeout: timeout, body
        )
    }
}
