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

/// A generated unary method. Each one implements `routeHandler` by calling `unaryRouteHandler` from its own
/// type, so the compiler specializes that glue for its message types: as generic code registered from another
/// module it looked up generic metadata and moved the messages through value witnesses on every call.
package protocol UnaryProtoMethod: ProtoMethod {
    static func routeHandler(
        _ handler: @escaping @Sendable (Input, ServerContext) async throws -> ServerResponse<Output>
    ) -> RPCRouter.Handler
}

extension ProtoMethod {
    /// A unary method's handler over the wire (see `UnaryProtoMethod`): its one request, decoded; the response
    /// encoded and written with its initial metadata. Nothing is awaited when the request arrived whole and the
    /// transport takes the response at once: an async call costs a frame and executor checks even when it does
    /// not suspend.
    package static func unaryRouteHandler(
        _ handler: @escaping @Sendable (Input, ServerContext) async throws -> ServerResponse<Output>
    ) -> RPCRouter.Handler {
        let method = descriptor
        let input = MessageCodec<Input>.proto
        let output = MessageCodec<Output>.proto
        return { stream, context in
            let bytes: [UInt8]
            if let arrived = try RPCRouter.arrivedRequest(stream.inbound, method: method) {
                bytes = arrived
            } else {
                bytes = try await RPCRouter.awaitRequest(stream.inbound, method: method)
            }
            let response = try await handler(try input.decode(bytes, .request), context)
            let message = RPCResponsePart.message(try output.encode(response.message, .response))
            let headers = RPCResponsePart.metadata(response.initialMetadata)
            if try !stream.outbound.writeNow(headers) { try await stream.outbound.write(headers) }
            if try !stream.outbound.writeNow(message) { try await stream.outbound.write(message) }
            return response.trailingMetadata
        }
    }
}

extension RPCRouter {
    package mutating func registerUnary<M: UnaryProtoMethod>(
        _ method: M.Type,
        handler: @escaping @Sendable (M.Input, ServerContext) async throws -> ServerResponse<M.Output>
    ) {
        register(M.descriptor, handler: M.routeHandler(handler))
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
