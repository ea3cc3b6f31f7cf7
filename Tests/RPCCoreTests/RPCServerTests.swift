import Contracts
import RPCCore
import RPCInProcess
import Synchronization
import Testing

private typealias Test = GrpcTesting.TestService.Method

/// Server and client semantics over the in-process transport: routing, the four call kinds, metadata,
/// statuses, deadlines and their propagation.
@Suite("RPC server and client")
struct RPCServerTests {
    /// Set when the sleeping EmptyCall handler is cancelled.
    final class Cancellations: Sendable {
        private let count = Mutex(0)
        func record() { count.withLock { $0 += 1 } }
        var value: Int { count.withLock { $0 } }
    }

    static func router(cancellations: Cancellations = Cancellations()) -> RPCRouter {
        var router = RPCRouter()
        router.registerUnary(Test.UnaryCall.self) { request, context in
            if let code = request.responseStatus?.code, code != 0 {
                throw RPCError(RPCStatus.Code(rawValue: Int(code)), request.responseStatus?.message ?? "")
            }
            var initial = Metadata()
            if let echo = context.metadata.string("x-grpc-test-echo-initial") { initial.add("x-grpc-test-echo-initial", echo) }
            var trailing = Metadata()
            if case .binary(let echo)? = context.metadata.first("x-grpc-test-echo-trailing-bin") {
                trailing.add("x-grpc-test-echo-trailing-bin", binary: echo)
            }
            let response = GrpcTesting.SimpleResponse.with {
                $0.payload = .with { $0.body = Array(repeating: 0, count: Int(request.responseSize)) }
            }
            return ServerResponse(response, initialMetadata: initial, trailingMetadata: trailing)
        }
        router.registerServerStreaming(Test.StreamingOutputCall.self) { request, writer, _ in
            for parameters in request.responseParameters {
                try await writer.write(GrpcTesting.StreamingOutputCallResponse.with {
                    $0.payload = .with { $0.body = Array(repeating: 0, count: Int(parameters.size)) }
                })
            }
            return [:]
        }
        router.registerClientStreaming(Test.StreamingInputCall.self) { requests, _ in
            var total: Int32 = 0
            for try await request in requests { total += Int32(request.payload?.body.count ?? 0) }
            return ServerResponse(GrpcTesting.StreamingInputCallResponse.with { $0.aggregatedPayloadSize = total })
        }
        router.registerBidirectional(Test.FullDuplexCall.self) { requests, writer, _ in
            for try await request in requests {
                for parameters in request.responseParameters {
                    try await writer.write(.with { $0.payload = .with { $0.body = Array(repeating: 1, count: Int(parameters.size)) } })
                }
            }
            return [:]
        }
        router.registerUnary(Test.EmptyCall.self) { _, _ in
            // Sleeps until cancelled: for deadline tests.
            do {
                try await Task.sleep(for: .seconds(30))
            } catch {
                cancellations.record()
                throw error
            }
            return ServerResponse(GrpcTesting.Empty())
        }
        router.registerUnary(Test.CacheableUnaryCall.self) { _, _ in
            struct Secret: Error { let password = "hunter2" }
            throw Secret()
        }
        return router
    }

    /// Runs a server on an in-process transport for the duration of `body`.
    static func withServer<T: Sendable>(
        router: RPCRouter = router(),
        unexpected: (@Sendable (MethodDescriptor, any Error) -> Void)? = nil,
        _ body: (RPCClient) async throws -> T
    ) async throws -> T {
        let transport = InProcessTransport()
        let server = RPCServer(transport: transport.server, router: router, onUnexpectedError: unexpected ?? { _, _ in })
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            defer { server.beginGracefulShutdown() }
            return try await body(RPCClient(transport: transport.client))
        }
    }

    @Test("unary call with initial and trailing metadata echoed")
    func unary() async throws {
        try await Self.withServer { client in
            var metadata: Metadata = ["x-grpc-test-echo-initial": "test_initial_metadata_value"]
            metadata.add("x-grpc-test-echo-trailing-bin", binary: [0xAB, 0xAB, 0xAB])
            let reply = try await client.unary(
                Test.UnaryCall.self, GrpcTesting.SimpleRequest.with { $0.responseSize = 314_159 }, metadata: metadata)
            #expect(reply.message.payload?.body.count == 314_159)
            #expect(reply.initialMetadata.string("x-grpc-test-echo-initial") == "test_initial_metadata_value")
            #expect(reply.trailingMetadata.first("x-grpc-test-echo-trailing-bin") == .binary([0xAB, 0xAB, 0xAB]))
        }
    }

    @Test("server streaming delivers every message in order")
    func serverStreaming() async throws {
        try await Self.withServer { client in
            let request = GrpcTesting.StreamingOutputCallRequest.with {
                $0.responseParameters = [31415, 9, 2653, 58979].map { size in .with { $0.size = size } }
            }
            let reply = try await client.streaming(Test.StreamingOutputCall.self, [request]) { responses in
                var sizes: [Int] = []
                for try await response in responses { sizes.append(response.payload?.body.count ?? -1) }
                return sizes
            }
            #expect(reply.message == [31415, 9, 2653, 58979])
        }
    }

    @Test("client streaming aggregates every request")
    func clientStreaming() async throws {
        try await Self.withServer { client in
            let requests = [27182, 8, 1828, 45904].map { size in
                GrpcTesting.StreamingInputCallRequest.with { $0.payload = .with { $0.body = Array(repeating: 0, count: size) } }
            }
            let reply = try await client.clientStreaming(Test.StreamingInputCall.self, requests)
            #expect(reply.message.aggregatedPayloadSize == 74922)
        }
    }

    @Test("bidirectional streaming answers each request")
    func bidirectional() async throws {
        try await Self.withServer { client in
            let requests = [31415, 9, 2653].map { size in
                GrpcTesting.StreamingOutputCallRequest.with { $0.responseParameters = [.with { $0.size = Int32(size) }] }
            }
            let reply = try await client.streaming(Test.FullDuplexCall.self, requests) { responses in
                var sizes: [Int] = []
                for try await response in responses { sizes.append(response.payload?.body.count ?? -1) }
                return sizes
            }
            #expect(reply.message == [31415, 9, 2653])
        }
    }

    @Test("a status chosen by the handler reaches the client with its message")
    func statusAndMessage() async throws {
        try await Self.withServer { client in
            let message = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n"
            let error = await #expect(throws: RPCError.self) {
                try await client.unary(Test.UnaryCall.self, GrpcTesting.SimpleRequest.with { $0.responseStatus = .with { $0.code = 2; $0.message = message } })
            }
            #expect(error?.code == .unknown)
            #expect(error?.message == message)
        }
    }

    @Test("an unknown method is UNIMPLEMENTED")
    func unimplemented() async throws {
        try await Self.withServer { client in
            let error = await #expect(throws: RPCError.self) {
                try await client.unary(GrpcTesting.UnimplementedService.Method.UnimplementedCall.self, GrpcTesting.Empty())
            }
            #expect(error?.code == .unimplemented)
            #expect(error?.message.contains("grpc.testing.UnimplementedService/UnimplementedCall") == true)
        }
    }

    @Test("an unexpected error is UNKNOWN without its details, which go to the error hook")
    func unexpectedError() async throws {
        let seen = Mutex<[String]>([])
        try await Self.withServer(unexpected: { method, error in seen.withLock { $0.append("\(method.method): \(error)") } }) { client in
            let error = await #expect(throws: RPCError.self) {
                try await client.unary(Test.CacheableUnaryCall.self, GrpcTesting.SimpleRequest())
            }
            #expect(error?.code == .unknown)
            #expect(error?.message.contains("hunter2") == false)
        }
        #expect(seen.withLock { $0.count } == 1)
        #expect(seen.withLock { $0.first?.contains("hunter2") } == true)
    }

    @Test("a call past its deadline ends DEADLINE_EXCEEDED and the handler is cancelled")
    func deadline() async throws {
        let cancellations = Cancellations()
        try await Self.withServer(router: Self.router(cancellations: cancellations)) { client in
            let error = await #expect(throws: RPCError.self) {
                try await client.unary(Test.EmptyCall.self, GrpcTesting.Empty(), timeout: .milliseconds(50))
            }
            #expect(error?.code == .deadlineExceeded)
        }
        // The server answers only after the cancelled handler has returned.
        #expect(cancellations.value == 1)
    }

    @Test("a handler's downstream calls inherit the remaining deadline")
    func deadlinePropagation() async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        let seen = RPCDeadline.$current.withValue(deadline) { RPCClient.deadline(timeout: .seconds(60)) }
        #expect(seen == deadline)
        let sooner = RPCDeadline.$current.withValue(deadline) { RPCClient.deadline(timeout: .seconds(1)) }
        #expect(sooner! < deadline)
        #expect(RPCClient.deadline(timeout: nil) == nil)
    }

    @Test("a unary call with no request message is a cardinality violation")
    func cardinality() async throws {
        try await Self.withServer { client in
            let error = await #expect(throws: RPCError.self) {
                try await client.clientStreaming(Test.UnaryCall.self, [])
            }
            #expect(error?.code == .unimplemented)
        }
    }

    @Test("after shutdown new calls are UNAVAILABLE")
    func shutdown() async throws {
        let transport = InProcessTransport()
        let server = RPCServer(transport: transport.server, router: Self.router())
        server.beginGracefulShutdown()
        try await server.serve()  // returns: nothing in flight
        let error = await #expect(throws: RPCError.self) {
            try await RPCClient(transport: transport.client).unary(Test.EmptyCall.self, GrpcTesting.Empty())
        }
        #expect(error?.code == .unavailable)
    }
}

@Suite("Interceptors and propagation")
struct InterceptorTests {
    /// Refuses calls without `authorization`, and records what it saw.
    struct RequireKey: ServerInterceptor {
        let seen: Mutex<[String]>.Box
        func intercept(
            _ stream: RPCStream, _ context: ServerContext, next: (RPCStream, ServerContext) async throws -> Metadata
        ) async throws -> Metadata {
            seen.append("\(context.method.method) \(context.metadata.string("x-request-id") ?? "-")")
            guard context.metadata.string("authorization") == "Bearer good" else {
                throw RPCError(.unauthenticated, "a valid API key is required")
            }
            return try await next(stream, context)
        }
    }

    /// Adds the key to every call.
    struct AddKey: ClientInterceptor {
        func intercept<Result: Sendable>(
            method: MethodDescriptor, metadata: Metadata, next: (Metadata) async throws -> Result
        ) async throws -> Result {
            var metadata = metadata
            metadata.add("authorization", "Bearer good")
            return try await next(metadata)
        }
    }

    @Test("a server interceptor can refuse a call; a client interceptor can add credentials")
    func authentication() async throws {
        let seen = Mutex<[String]>.Box()
        var router = RPCRouter()
        router.registerUnary(OpsV1.Ops.Method.GetInfo.self) { _, _ in ServerResponse(.with { $0.name = "ok" }) }
        let transport = InProcessTransport()
        let server = RPCServer(transport: transport.server, router: router, interceptors: [RequireKey(seen: seen)])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            defer { server.beginGracefulShutdown() }
            let anonymous = RPCClient(transport: transport.client)
            let refused = await #expect(throws: RPCError.self) { try await anonymous.unary(OpsV1.Ops.Method.GetInfo.self, .init()) }
            #expect(refused?.code == .unauthenticated)
            let keyed = RPCClient(transport: transport.client, interceptors: [AddKey()])
            let reply = try await keyed.unary(OpsV1.Ops.Method.GetInfo.self, .init())
            #expect(reply.message.name == "ok")
        }
        #expect(seen.values.count == 2)
    }

    @Test("request id and trace context travel from a handler into its downstream calls")
    func propagation() async throws {
        let seen = Mutex<[String]>.Box()
        // Downstream: records the request id it receives.
        var downstreamRouter = RPCRouter()
        downstreamRouter.registerUnary(OpsV1.Ops.Method.GetInfo.self) { _, context in
            seen.append(context.metadata.string("traceparent") ?? "-")
            return ServerResponse(.with { $0.name = context.metadata.string("x-request-id") ?? "-" })
        }
        let downstream = InProcessTransport()
        // Upstream: calls downstream without passing anything on explicitly.
        var upstreamRouter = RPCRouter()
        upstreamRouter.registerUnary(OpsV1.Ops.Method.GetInfo.self) { _, _ in
            let reply = try await RPCClient(transport: downstream.client).unary(OpsV1.Ops.Method.GetInfo.self, .init())
            return ServerResponse(reply.message)
        }
        let upstream = InProcessTransport()
        let downstreamServer = RPCServer(transport: downstream.server, router: downstreamRouter)
        let upstreamServer = RPCServer(transport: upstream.server, router: upstreamRouter)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await downstreamServer.serve() }
            group.addTask { try await upstreamServer.serve() }
            defer {
                downstreamServer.beginGracefulShutdown()
                upstreamServer.beginGracefulShutdown()
            }
            var metadata: Metadata = ["x-request-id": "req-42"]
            metadata.add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            let reply = try await RPCClient(transport: upstream.client).unary(OpsV1.Ops.Method.GetInfo.self, .init(), metadata: metadata)
            #expect(reply.message.name == "req-42")
        }
        #expect(seen.values == ["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"])
    }
}

extension Mutex where Value == [String] {
    /// A shareable list for tests.
    final class Box: Sendable {
        private let list = Mutex<[String]>([])
        func append(_ value: String) { list.withLock { $0.append(value) } }
        var values: [String] { list.withLock { $0 } }
    }
}
