/// Maps method paths to handlers. Services register their methods; the server looks them up per stream.
///
/// ```swift
/// var router = RPCRouter()
/// router.registerUnary(GrpcHealthV1.Health.Method.Check.self) { request, context in
///     ServerResponse(HealthCheckResponse.with { $0.status = .serving })
/// }
/// ```
package struct RPCRouter: Sendable {
    /// Handles one stream and returns the trailing metadata of an OK status; throwing ends the call with the
    /// error's status.
    package typealias Handler = @Sendable (RPCStream, ServerContext) async throws -> Metadata

    /// A registered method and its handler.
    ///
    /// A class: looking a route up per call then copies one reference, not the descriptor's strings, and the
    /// handler is called as stored (a closure kept in a tuple in a dictionary is kept in its most general form,
    /// and every call went through a conversion thunk with an async frame of its own).
    package final class Route: Sendable {
        package let method: MethodDescriptor
        package let handler: Handler

        init(method: MethodDescriptor, handler: @escaping Handler) {
            self.method = method
            self.handler = handler
        }
    }

    private var routes: [String: Route] = [:]

    package init() {}

    /// Every registered method, sorted by path.
    package var methods: [MethodDescriptor] { routes.values.map(\.method).sorted { $0.path < $1.path } }

    package func route(_ path: String) -> Route? { routes[path] }

    /// Registers a handler over raw bytes; replaces an earlier one for the same path.
    package mutating func register(_ method: MethodDescriptor, handler: @escaping Handler) {
        routes[method.path] = Route(method: method, handler: handler)
    }

    /// Registers a handler in its most general form: a stream of requests in, a stream of responses out.
    package mutating func register<Input: Sendable, Output: Sendable>(
        _ method: MethodDescriptor,
        input: MessageCodec<Input>,
        output: MessageCodec<Output>,
        handler: @escaping @Sendable (
            ServerRequestStream<Input>, ServerResponseWriter<Output>, ServerContext
        ) async throws -> Metadata
    ) {
        register(method) { stream, context in
            let requests = ServerRequestStream(base: stream.inbound, codec: input)
            let writer = ServerResponseWriter(outbound: stream.outbound, codec: output)
            return try await handler(requests, writer, context)
        }
    }

    package mutating func registerServerStreaming<Input: Sendable, Output: Sendable>(
        _ method: MethodDescriptor,
        input: MessageCodec<Input>,
        output: MessageCodec<Output>,
        handler: @escaping @Sendable (Input, ServerResponseWriter<Output>, ServerContext) async throws -> Metadata
    ) {
        register(method, input: input, output: output) { requests, writer, context in
            try await handler(try await Self.single(requests, method: method), writer, context)
        }
    }

    package mutating func registerClientStreaming<Input: Sendable, Output: Sendable>(
        _ method: MethodDescriptor,
        input: MessageCodec<Input>,
        output: MessageCodec<Output>,
        handler: @escaping @Sendable (ServerRequestStream<Input>, ServerContext) async throws -> ServerResponse<Output>
    ) {
        register(method, input: input, output: output) { requests, writer, context in
            let response = try await handler(requests, context)
            try await writer.writeInitialMetadata(response.initialMetadata)
            try await writer.write(response.message)
            return response.trailingMetadata
        }
    }

    /// Exactly one request message, as unary and server-streaming calls require; anything else is a
    /// cardinality violation, which gRPC reports as UNIMPLEMENTED.
    private static func single<Input>(_ requests: ServerRequestStream<Input>, method: MethodDescriptor) async throws -> Input {
        if let request = try arrivedRequest(requests.base, method: method) { return try requests.codec.decode(request, .request) }
        return try requests.codec.decode(try await awaitRequest(requests.base, method: method), .request)
    }

    /// `single` for a request that has not fully arrived: its message and end are awaited. Not generic, like
    /// `arrivedRequest`: unary methods call both from glue the compiler specializes for their message types
    /// (`UnaryProtoMethod` in Contracts).
    package static func awaitRequest(_ inbound: RPCAsyncSequence<[UInt8]>, method: MethodDescriptor) async throws -> [UInt8] {
        var iterator = inbound.makeAsyncIterator()
        guard let request = try await iterator.next() else {
            throw RPCError(.unimplemented, "\(method.path) expects one request message, got none")
        }
        guard try await iterator.next() == nil else {
            throw RPCError(.unimplemented, "\(method.path) expects one request message, got several")
        }
        return request
    }

    /// `single` without suspending, for the usual case of a request that arrived whole, end of stream
    /// included, before its handler ran; nil when it has not (then `awaitRequest` waits for it).
    package static func arrivedRequest(_ inbound: RPCAsyncSequence<[UInt8]>, method: MethodDescriptor) throws -> [UInt8]? {
        guard let messages = try inbound.remainingIfEnded?() else { return nil }
        guard messages.count == 1 else {
            throw RPCError(.unimplemented, "\(method.path) expects one request message, got \(messages.isEmpty ? "none" : "several")")
        }
        return messages[0]
    }
}
