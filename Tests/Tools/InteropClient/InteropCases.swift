import Contracts
import RPCCore

private typealias Test = GrpcTesting.TestService.Method

/// The gRPC interop test cases from the client's side (interop-test-descriptions.md), for running this
/// project's client against another implementation's server.
enum InteropCase: String, CaseIterable {
    case emptyUnary = "empty_unary"
    case largeUnary = "large_unary"
    case clientStreaming = "client_streaming"
    case serverStreaming = "server_streaming"
    case pingPong = "ping_pong"
    case emptyStream = "empty_stream"
    case customMetadata = "custom_metadata"
    case statusCodeAndMessage = "status_code_and_message"
    case specialStatusMessage = "special_status_message"
    case unimplementedMethod = "unimplemented_method"
    case unimplementedService = "unimplemented_service"
    case timeoutOnSleepingServer = "timeout_on_sleeping_server"

    static let timeout = Duration.seconds(10)

    func run(_ client: RPCClient) async throws {
        switch self {
        case .emptyUnary:
            let reply = try await client.unary(Test.EmptyCall.self, .init(), timeout: Self.timeout)
            try check(reply.message == GrpcTesting.Empty(), "EmptyCall returned a non-empty message")
        case .largeUnary:
            let reply = try await client.unary(Test.UnaryCall.self, .with {
                $0.responseSize = 314_159
                $0.payload = .with { $0.body = [UInt8](repeating: 0, count: 271_828) }
            }, timeout: Self.timeout)
            try check(reply.message.payload?.body == [UInt8](repeating: 0, count: 314_159), "wrong payload")
        case .clientStreaming:
            let reply = try await client.clientStreaming(
                Test.StreamingInputCall.self,
                [27182, 8, 1828, 45904].map { size in .with { $0.payload = .with { $0.body = [UInt8](repeating: 0, count: size) } } },
                timeout: Self.timeout
            )
            try check(reply.message.aggregatedPayloadSize == 74922, "aggregated \(reply.message.aggregatedPayloadSize)")
        case .serverStreaming:
            let sizes = try await client.streaming(
                Test.StreamingOutputCall.self,
                [.with { $0.responseParameters = [31415, 9, 2653, 58979].map { size in .with { $0.size = size } } }],
                timeout: Self.timeout
            ) { responses in
                var sizes: [Int] = []
                for try await response in responses { sizes.append(response.payload?.body.count ?? -1) }
                return sizes
            }
            try check(sizes.message == [31415, 9, 2653, 58979], "sizes \(sizes.message)")
        case .pingPong:
            try await pingPong(client)
        case .emptyStream:
            let count = try await client.streaming(Test.FullDuplexCall.self, [], timeout: Self.timeout) { responses in
                var count = 0
                for try await _ in responses { count += 1 }
                return count
            }
            try check(count.message == 0, "got \(count.message) responses")
        case .customMetadata:
            var metadata: Metadata = ["x-grpc-test-echo-initial": "test_initial_metadata_value"]
            metadata.add("x-grpc-test-echo-trailing-bin", binary: [0xAB, 0xAB, 0xAB])
            let reply = try await client.unary(Test.UnaryCall.self, .with {
                $0.responseSize = 314_159
                $0.payload = .with { $0.body = [UInt8](repeating: 0, count: 271_828) }
            }, metadata: metadata, timeout: Self.timeout)
            try check(reply.initialMetadata.string("x-grpc-test-echo-initial") == "test_initial_metadata_value", "initial \(reply.initialMetadata)")
            try check(reply.trailingMetadata.first("x-grpc-test-echo-trailing-bin") == .binary([0xAB, 0xAB, 0xAB]), "trailing \(reply.trailingMetadata)")
        case .statusCodeAndMessage:
            try await expectStatus(client, message: "test status message")
        case .specialStatusMessage:
            try await expectStatus(client, message: "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n")
        case .unimplementedMethod:
            try await expectCode(.unimplemented) { try await client.unary(Test.UnimplementedCall.self, .init(), timeout: Self.timeout) }
        case .unimplementedService:
            try await expectCode(.unimplemented) {
                try await client.unary(GrpcTesting.UnimplementedService.Method.UnimplementedCall.self, .init(), timeout: Self.timeout)
            }
        case .timeoutOnSleepingServer:
            try await expectCode(.deadlineExceeded) {
                try await client.streaming(
                    Test.FullDuplexCall.self,
                    [.with {
                        $0.payload = .with { $0.body = [UInt8](repeating: 0, count: 27182) }
                        $0.responseParameters = [.with { $0.size = 31415 }]
                    }],
                    timeout: .milliseconds(1)
                ) { responses in for try await _ in responses {} }
            }
        }
    }

    /// Four rounds; each request is sent only after the previous response arrived.
    private func pingPong(_ client: RPCClient) async throws {
        let requestSizes = [27182, 8, 1828, 45904]
        let responseSizes: [Int32] = [31415, 9, 2653, 58979]
        let (requests, continuation) = AsyncThrowingStream<GrpcTesting.StreamingOutputCallRequest, any Error>.makeStream()
        func request(_ round: Int) -> GrpcTesting.StreamingOutputCallRequest {
            .with {
                $0.responseParameters = [.with { $0.size = responseSizes[round] }]
                $0.payload = .with { $0.body = [UInt8](repeating: 0, count: requestSizes[round]) }
            }
        }
        continuation.yield(request(0))
        let received = try await client.streaming(Test.FullDuplexCall.self, requestStream: RPCAsyncSequence(requests), timeout: Self.timeout) { responses in
            var sizes: [Int] = []
            for try await response in responses {
                sizes.append(response.payload?.body.count ?? -1)
                if sizes.count < requestSizes.count { continuation.yield(request(sizes.count)) } else { continuation.finish() }
            }
            return sizes
        }
        try check(received.message == responseSizes.map(Int.init), "sizes \(received.message)")
    }

    private func expectStatus(_ client: RPCClient, message: String) async throws {
        try await expectCode(.unknown, message: message) {
            try await client.unary(Test.UnaryCall.self, .with { $0.responseStatus = .with { $0.code = 2; $0.message = message } }, timeout: Self.timeout)
        }
        try await expectCode(.unknown, message: message) {
            try await client.streaming(Test.FullDuplexCall.self, [.with { $0.responseStatus = .with { $0.code = 2; $0.message = message } }], timeout: Self.timeout) { responses in
                for try await _ in responses {}
            }
        }
    }

    private func expectCode(_ code: RPCStatus.Code, message: String? = nil, _ call: () async throws -> some Any) async throws {
        do {
            _ = try await call()
        } catch let error as RPCError {
            try check(error.code == code, "expected \(code), got \(error)")
            if let message { try check(error.message == message, "expected message \(message.debugDescription), got \(error.message.debugDescription)") }
            return
        }
        throw InteropFailure("expected \(code), but the call succeeded")
    }

    private func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw InteropFailure(message()) }
    }
}

struct InteropFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
