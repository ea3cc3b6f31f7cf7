package import Contracts
package import RPCCore

private typealias Test = GrpcTesting.TestService.Method

/// `grpc.testing.TestService` as the gRPC interop test descriptions specify it.
package enum TestService {
    package static func register(in router: inout RPCRouter) {
        router.registerUnary(Test.EmptyCall.self) { _, _ in ServerResponse(GrpcTesting.Empty()) }

        router.registerUnary(Test.UnaryCall.self) { request, context in
            try checkStatus(request.responseStatus)
            let response = GrpcTesting.SimpleResponse.with { $0.payload = payload(size: request.responseSize) }
            return ServerResponse(
                response, initialMetadata: echoedInitial(context), trailingMetadata: echoedTrailing(context)
            )
        }

        router.registerUnary(Test.CacheableUnaryCall.self) { request, _ in
            ServerResponse(GrpcTesting.SimpleResponse.with { $0.payload = payload(size: request.responseSize) })
        }

        router.registerServerStreaming(Test.StreamingOutputCall.self) { request, writer, _ in
            for parameters in request.responseParameters {
                if parameters.intervalUs > 0 { try await Task.sleep(for: .microseconds(parameters.intervalUs)) }
                try await writer.write(.with { $0.payload = payload(size: parameters.size) })
            }
            try checkStatus(request.responseStatus)
            return [:]
        }

        router.registerClientStreaming(Test.StreamingInputCall.self) { requests, _ in
            var total: Int32 = 0
            for try await request in requests { total += Int32(request.payload?.body.count ?? 0) }
            return ServerResponse(.with { $0.aggregatedPayloadSize = total })
        }

        router.registerBidirectional(Test.FullDuplexCall.self) { requests, writer, context in
            try await writer.writeInitialMetadata(echoedInitial(context))
            for try await request in requests {
                try checkStatus(request.responseStatus)
                for parameters in request.responseParameters {
                    if parameters.intervalUs > 0 { try await Task.sleep(for: .microseconds(parameters.intervalUs)) }
                    try await writer.write(.with { $0.payload = payload(size: parameters.size) })
                }
            }
            return echoedTrailing(context)
        }
    }

    private static func payload(size: Int32) -> GrpcTesting.Payload {
        .with { $0.body = [UInt8](repeating: 0, count: Int(size)) }
    }

    private static func checkStatus(_ status: GrpcTesting.EchoStatus?) throws {
        guard let status, status.code != 0 else { return }
        throw RPCError(RPCStatus.Code(rawValue: Int(status.code)), status.message)
    }

    private static func echoedInitial(_ context: ServerContext) -> Metadata {
        var metadata = Metadata()
        if let value = context.metadata.string("x-grpc-test-echo-initial") {
            metadata.add("x-grpc-test-echo-initial", value)
        }
        return metadata
    }

    private static func echoedTrailing(_ context: ServerContext) -> Metadata {
        var metadata = Metadata()
        if case .binary(let value)? = context.metadata.first("x-grpc-test-echo-trailing-bin") {
            metadata.add("x-grpc-test-echo-trailing-bin", binary: value)
        }
        return metadata
    }
}
