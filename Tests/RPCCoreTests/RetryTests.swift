import Contracts
import RPCCore
import RPCInProcess
import Synchronization
import Testing

/// A transport that fails the first `failures` calls with UNAVAILABLE, as a dead instance would.
private final class FlakyTransport: ClientTransport {
    let base: any ClientTransport
    let failures: Int
    let attempts = Mutex(0)
    /// Deliver one message before failing, instead of failing at once.
    let failAfterMessage: Bool

    init(base: any ClientTransport, failures: Int, failAfterMessage: Bool = false) {
        self.base = base
        self.failures = failures
        self.failAfterMessage = failAfterMessage
    }

    func withStream<Result: Sendable>(
        path: String, metadata: Metadata, deadline: ContinuousClock.Instant?, requests: RPCAsyncSequence<[UInt8]>,
        _ body: (RPCAsyncSequence<RPCResponsePart>) async throws -> Result
    ) async throws -> Result {
        let attempt = attempts.withLock { $0 += 1; return $0 }
        guard attempt > failures else {
            guard failAfterMessage else { throw RPCError(.unavailable, "instance down") }
            let parts = AsyncThrowingStream<RPCResponsePart, any Error> { continuation in
                continuation.yield(.metadata([:]))
                continuation.yield(.message(try! GrpcTesting.StreamingOutputCallResponse().serializedBytes()))
                continuation.finish(throwing: RPCError(.unavailable, "connection lost"))
            }
            return try await body(RPCAsyncSequence(parts))
        }
        return try await base.withStream(path: path, metadata: metadata, deadline: deadline, requests: requests, body)
    }
}

@Suite("Client retries")
struct RetryTests {
    /// Ops.GetInfo is declared side-effect free (retried); TestService.UnaryCall declares nothing (never retried).
    static func withServer(_ body: (InProcessTransport.Client) async throws -> Void) async throws {
        var router = RPCRouter()
        router.registerUnary(OpsV1.Ops.Method.GetInfo.self) { _, _ in ServerResponse(.with { $0.name = "test" }) }
        router.registerUnary(GrpcTesting.TestService.Method.UnaryCall.self) { _, _ in ServerResponse(.init()) }
        router.registerServerStreaming(GrpcTesting.TestService.Method.StreamingOutputCall.self) { _, writer, _ in
            try await writer.write(.init())
            return [:]
        }
        let transport = InProcessTransport()
        let server = RPCServer(transport: transport.server, router: router)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            defer { server.beginGracefulShutdown() }
            try await body(transport.client)
        }
    }

    @Test("an idempotent call is retried on UNAVAILABLE and succeeds")
    func retried() async throws {
        try await Self.withServer { base in
            let flaky = FlakyTransport(base: base, failures: 2)
            let client = RPCClient(transport: flaky, retryPolicy: .with { $0.initialBackoff = .milliseconds(1) })
            let reply = try await client.unary(OpsV1.Ops.Method.GetInfo.self, .init(), timeout: .seconds(60))
            #expect(reply.message.name == "test")
            #expect(flaky.attempts.withLock { $0 } == 3)
        }
    }

    @Test("attempts stop at the policy's limit")
    func limit() async throws {
        try await Self.withServer { base in
            let flaky = FlakyTransport(base: base, failures: 10)
            let client = RPCClient(transport: flaky, retryPolicy: .with { $0.maxAttempts = 4; $0.initialBackoff = .milliseconds(1) })
            let error = await #expect(throws: RPCError.self) {
                try await client.unary(OpsV1.Ops.Method.GetInfo.self, .init(), timeout: .seconds(60))
            }
            #expect(error?.code == .unavailable)
            #expect(flaky.attempts.withLock { $0 } == 4)
        }
    }

    @Test("the standard health check declares no idempotency, so it is not retried either")
    func healthNotRetried() {
        #expect(!GrpcHealthV1.Health.Method.Check.descriptor.idempotency.allowsRetry)
        #expect(OpsV1.Ops.Method.GetInfo.descriptor.idempotency == .noSideEffects)
    }

    @Test("a method not declared idempotent is never retried")
    func notIdempotent() async throws {
        try await Self.withServer { base in
            let flaky = FlakyTransport(base: base, failures: 1)
            let client = RPCClient(transport: flaky, retryPolicy: .with { $0.initialBackoff = .milliseconds(1) })
            await #expect(throws: RPCError.self) {
                try await client.unary(GrpcTesting.TestService.Method.UnaryCall.self, .init(), timeout: .seconds(5))
            }
            #expect(flaky.attempts.withLock { $0 } == 1)
        }
    }

    @Test("no retry when the deadline leaves no room for the wait")
    func deadlineTooShort() async throws {
        try await Self.withServer { base in
            let flaky = FlakyTransport(base: base, failures: 1)
            let client = RPCClient(transport: flaky, retryPolicy: .with { $0.initialBackoff = .seconds(2); $0.maxBackoff = .seconds(2) })
            await #expect(throws: RPCError.self) {
                try await client.unary(OpsV1.Ops.Method.GetInfo.self, .init(), timeout: .milliseconds(200))
            }
            #expect(flaky.attempts.withLock { $0 } == 1)
        }
    }

    @Test("no retry once a response message reached the caller")
    func afterMessage() async throws {
        try await Self.withServer { base in
            let flaky = FlakyTransport(base: base, failures: 1, failAfterMessage: true)
            let client = RPCClient(transport: flaky, retryPolicy: .with { $0.initialBackoff = .milliseconds(1) })
            let seen = Mutex(0)
            // StreamingOutputCall is not idempotent either, so force the question with a side-effect-free
            // descriptor of the same shape.
            var method = GrpcTesting.TestService.Method.StreamingOutputCall.descriptor
            method.idempotency = .noSideEffects
            await #expect(throws: RPCError.self) {
                try await client.call(
                    requests: [GrpcTesting.StreamingOutputCallRequest()], method: method, input: .proto,
                    output: MessageCodec<GrpcTesting.StreamingOutputCallResponse>.proto, timeout: .seconds(5)
                ) { responses in
                    for try await _ in responses { seen.withLock { $0 += 1 } }
                }
            }
            #expect(seen.withLock { $0 } == 1)
            #expect(flaky.attempts.withLock { $0 } == 1)
        }
    }

    @Test("backoff grows, is capped and jittered")
    func backoff() {
        let policy = RetryPolicy.with { $0.initialBackoff = .milliseconds(100); $0.maxBackoff = .milliseconds(300) }
        #expect(policy.backoff(afterAttempt: 1, random: 1) == .milliseconds(100))
        #expect(policy.backoff(afterAttempt: 2, random: 1) == .milliseconds(200))
        #expect(policy.backoff(afterAttempt: 5, random: 1) == .milliseconds(300))
        #expect(policy.backoff(afterAttempt: 1, random: 0.5) == .milliseconds(50))
    }
}
