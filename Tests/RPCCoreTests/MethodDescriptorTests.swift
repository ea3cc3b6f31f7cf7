import RPCCore
import Testing

@Suite("MethodDescriptor")
struct MethodDescriptorValueTests {
    @Test("call kind from the streaming flags", arguments: [
        (false, false, MethodDescriptor.Kind.unary), (true, false, .clientStreaming),
        (false, true, .serverStreaming), (true, true, .bidirectionalStreaming),
    ])
    func kind(client: Bool, server: Bool, expected: MethodDescriptor.Kind) {
        #expect(MethodDescriptor.Kind(clientStreaming: client, serverStreaming: server) == expected)
    }

    @Test("description is the wire path; only declared idempotency allows retries")
    func descriptionAndRetry() {
        let method = MethodDescriptor(
            service: "grpc.health.v1.Health", method: "Check", kind: .unary, idempotency: .noSideEffects,
            requestType: "grpc.health.v1.HealthCheckRequest", responseType: "grpc.health.v1.HealthCheckResponse"
        )
        #expect("\(method)" == "/grpc.health.v1.Health/Check")
        #expect(method.idempotency.allowsRetry)
        #expect(MethodDescriptor.Idempotency.idempotent.allowsRetry)
        #expect(!MethodDescriptor.Idempotency.unknown.allowsRetry)
    }
}
