import Contracts
import InteropTestService
import RPCCore
import RPCHTTP2
import Synchronization
import Testing

private typealias Test = GrpcTesting.TestService.Method

/// The HTTP/2 client against the HTTP/2 server over real loopback sockets.
@Suite("HTTP/2 loopback")
struct LoopbackTests {
    /// Runs the TestService on a free port for the duration of `body`.
    static func withServer<T: Sendable>(_ body: @Sendable (RPCClient, HTTP2ClientTransport) async throws -> T) async throws -> T {
        var router = RPCRouter()
        TestService.register(in: &router)
        let loopback = LoopbackServer(router)
        let server = loopback.server
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            defer { server.beginGracefulShutdown() }
            let port = try #require(await loopback.port())
            let clientTransport = HTTP2ClientTransport(host: "127.0.0.1", port: port)
            defer { Task { await clientTransport.close() } }
            return try await body(RPCClient(transport: clientTransport), clientTransport)
        }
    }

    @Test("unary, server streaming, client streaming and bidirectional calls")
    func callKinds() async throws {
        try await Self.withServer { client, _ in
            let unary = try await client.unary(Test.UnaryCall.self, .with { $0.responseSize = 314_159; $0.payload = .with { $0.body = [UInt8](repeating: 1, count: 271_828) } }, timeout: .seconds(10))
            #expect(unary.message.payload?.body.count == 314_159)

            let sizes = try await client.streaming(
                Test.StreamingOutputCall.self,
                [.with { $0.responseParameters = [31415, 9, 2653, 58979].map { size in .with { $0.size = size } } }],
                timeout: .seconds(10)
            ) { responses in
                var sizes: [Int] = []
                for try await response in responses { sizes.append(response.payload?.body.count ?? -1) }
                return sizes
            }
            #expect(sizes.message == [31415, 9, 2653, 58979])

            let aggregate = try await client.clientStreaming(
                Test.StreamingInputCall.self,
                [27182, 8, 1828, 45904].map { size in .with { $0.payload = .with { $0.body = [UInt8](repeating: 0, count: size) } } },
                timeout: .seconds(10)
            )
            #expect(aggregate.message.aggregatedPayloadSize == 74922)

            let duplex = try await client.streaming(
                Test.FullDuplexCall.self,
                [9, 2653, 31415].map { size in .with { $0.responseParameters = [.with { $0.size = Int32(size) }] } },
                timeout: .seconds(10)
            ) { responses in
                var count = 0
                for try await _ in responses { count += 1 }
                return count
            }
            #expect(duplex.message == 3)
        }
    }

    @Test("a unary method sent no request, or two, answers UNIMPLEMENTED and serves the next call")
    func unaryCardinality() async throws {
        try await Self.withServer { client, _ in
            let request = GrpcTesting.SimpleRequest.with { $0.responseSize = 3 }
            for (requests, count) in [([GrpcTesting.SimpleRequest](), "none"), ([request, request], "several")] {
                let error = await #expect(throws: RPCError.self) {
                    try await client.clientStreaming(
                        requests: requests, method: Test.UnaryCall.descriptor,
                        input: MessageCodec<GrpcTesting.SimpleRequest>.proto, output: MessageCodec<GrpcTesting.SimpleResponse>.proto,
                        timeout: .seconds(10))
                }
                #expect(error?.code == .unimplemented)
                #expect(error?.message == "/grpc.testing.TestService/UnaryCall expects one request message, got \(count)")
            }
            let reply = try await client.unary(Test.UnaryCall.self, request, timeout: .seconds(10))
            #expect(reply.message.payload?.body.count == 3)
        }
    }

    @Test("statuses, the special message and metadata cross the wire intact")
    func statusAndMetadata() async throws {
        try await Self.withServer { client, _ in
            let special = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n"
            let error = await #expect(throws: RPCError.self) {
                try await client.unary(Test.UnaryCall.self, .with { $0.responseStatus = .with { $0.code = 2; $0.message = special } }, timeout: .seconds(10))
            }
            #expect(error?.code == .unknown)
            #expect(error?.message == special)

            var metadata: Metadata = ["x-grpc-test-echo-initial": "test_initial_metadata_value"]
            metadata.add("x-grpc-test-echo-trailing-bin", binary: [0xAB, 0xAB, 0xAB])
            let reply = try await client.unary(Test.UnaryCall.self, .with { $0.responseSize = 1 }, metadata: metadata, timeout: .seconds(10))
            #expect(reply.initialMetadata.string("x-grpc-test-echo-initial") == "test_initial_metadata_value")
            #expect(reply.trailingMetadata.first("x-grpc-test-echo-trailing-bin") == .binary([0xAB, 0xAB, 0xAB]))

            let unimplemented = await #expect(throws: RPCError.self) {
                try await client.unary(GrpcTesting.UnimplementedService.Method.UnimplementedCall.self, .init(), timeout: .seconds(10))
            }
            #expect(unimplemented?.code == .unimplemented)
        }
    }

    @Test("a deadline shorter than the server's work ends DEADLINE_EXCEEDED")
    func deadline() async throws {
        try await Self.withServer { client, _ in
            let error = await #expect(throws: RPCError.self) {
                try await client.streaming(
                    Test.FullDuplexCall.self,
                    [.with { $0.responseParameters = [.with { $0.size = 1; $0.intervalUs = 2_000_000 }] }],
                    timeout: .milliseconds(100)
                ) { responses in for try await _ in responses {} }
            }
            #expect(error?.code == .deadlineExceeded)
            // The connection survives for the next call.
            _ = try await client.unary(Test.EmptyCall.self, .init(), timeout: .seconds(10))
        }
    }

    @Test("a request over the 4 MiB limit is RESOURCE_EXHAUSTED")
    func messageTooLarge() async throws {
        try await Self.withServer { client, _ in
            let error = await #expect(throws: RPCError.self) {
                try await client.unary(Test.UnaryCall.self, .with { $0.payload = .with { $0.body = [UInt8](repeating: 0, count: 5 << 20) } }, timeout: .seconds(20))
            }
            #expect(error?.code == .resourceExhausted)
        }
    }

    @Test("nothing listening is UNAVAILABLE naming the address")
    func connectionRefused() async throws {
        let client = RPCClient(transport: HTTP2ClientTransport(host: "127.0.0.1", port: 1))
        let error = await #expect(throws: RPCError.self) {
            try await client.unary(Test.EmptyCall.self, .init(), timeout: .seconds(5))
        }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("127.0.0.1:1") == true)
    }

    @Test("10 000 sequential and 1 000 concurrent calls on one connection")
    func manyStreams() async throws {
        try await Self.withServer { client, _ in
            for index in 0..<10_000 {
                let reply = try await client.unary(Test.UnaryCall.self, .with { $0.responseSize = Int32(index % 64) }, timeout: .seconds(10))
                if reply.message.payload?.body.count != index % 64 { Issue.record("call \(index) got the wrong reply") }
            }
            let sizes = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<1_000 {
                    group.addTask {
                        let reply = try await client.unary(Test.UnaryCall.self, .with { $0.responseSize = Int32(index) }, timeout: .seconds(30))
                        return reply.message.payload?.body.count == index ? 1 : 0
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(sizes == 1_000)
        }
    }
}

@Suite("HTTP/2 graceful shutdown")
struct GracefulShutdownTests {
    @Test("calls in flight finish, new ones are refused, serve() returns")
    func drain() async throws {
        var router = RPCRouter()
        let started = Mutex(0)
        router.registerUnary(Test.EmptyCall.self) { _, _ in
            started.withLock { $0 += 1 }
            try await Task.sleep(for: .milliseconds(500))
            return ServerResponse(GrpcTesting.Empty())
        }
        let loopback = LoopbackServer(router)
        let server = loopback.server
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            let port = try #require(await loopback.port())
            let clientTransport = HTTP2ClientTransport(host: "127.0.0.1", port: port)
            let client = RPCClient(transport: clientTransport)
            let calls = Task {
                try await withThrowingTaskGroup(of: Bool.self) { calls in
                    for _ in 0..<100 {
                        calls.addTask { (try? await client.unary(Test.EmptyCall.self, .init(), timeout: .seconds(10))) != nil }
                    }
                    return try await calls.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
            }
            let waitUntil = ContinuousClock.now + .seconds(10)
            while started.withLock({ $0 }) < 100, ContinuousClock.now < waitUntil { try await Task.sleep(for: .milliseconds(5)) }
            try #require(started.withLock { $0 } == 100, "only \(started.withLock { $0 }) of 100 calls reached the server")
            server.beginGracefulShutdown()
            #expect(try await calls.value == 100)
            // serve() returned: the group's server task is done.
            try await group.next()
            let refused = await #expect(throws: RPCError.self) {
                try await RPCClient(transport: HTTP2ClientTransport(host: "127.0.0.1", port: port))
                    .unary(Test.EmptyCall.self, .init(), timeout: .seconds(2))
            }
            #expect(refused?.code == .unavailable)
            await clientTransport.close()
        }
    }
}

/// A count shared with handlers.
final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

@Suite("HTTP/2 round robin")
struct RoundRobinTests {
    /// A server that counts the GetInfo calls it answered (GetInfo is side-effect free, so it may be retried).
    static func startServer(_ counter: Counter) -> LoopbackServer {
        var router = RPCRouter()
        router.registerUnary(OpsV1.Ops.Method.GetInfo.self) { _, _ in
            counter.increment()
            return ServerResponse(.with { $0.name = "instance" })
        }
        return LoopbackServer(router)
    }

    @Test("calls alternate between instances, and an instance that is down is skipped by retries")
    func alternate() async throws {
        let first = Counter()
        let second = Counter()
        let instanceA = Self.startServer(first)
        let instanceB = Self.startServer(second)
        let serverA = instanceA.server
        let serverB = instanceB.server
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await serverA.serve() }
            group.addTask { try await serverB.serve() }
            defer {
                serverA.beginGracefulShutdown()
                serverB.beginGracefulShutdown()
            }
            let portA = try #require(await instanceA.port())
            let portB = try #require(await instanceB.port())

            let balanced = RPCClient(transport: RoundRobinTransport([
                HTTP2ClientTransport(host: "127.0.0.1", port: portA), HTTP2ClientTransport(host: "127.0.0.1", port: portB),
            ]))
            for _ in 0..<20 { _ = try await balanced.unary(OpsV1.Ops.Method.GetInfo.self, .init(), timeout: .seconds(5)) }
            #expect(first.value == 10)
            #expect(second.value == 10)

            // Port 1 has nothing listening: every call still succeeds, on the live instance.
            let withDeadOne = RPCClient(transport: RoundRobinTransport([
                HTTP2ClientTransport(host: "127.0.0.1", port: 1), HTTP2ClientTransport(host: "127.0.0.1", port: portA),
            ]), retryPolicy: .with { $0.initialBackoff = .milliseconds(1) })
            for _ in 0..<10 {
                let reply = try await withDeadOne.unary(OpsV1.Ops.Method.GetInfo.self, .init(), timeout: .seconds(5))
                #expect(reply.message.name == "instance")
            }
            #expect(first.value == 20)
        }
    }
}
