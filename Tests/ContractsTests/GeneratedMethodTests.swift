import Contracts
import RPCCore
import Testing

@Suite("Generated method descriptors")
struct GeneratedMethodTests {
    @Test("paths, call kinds and idempotency come from the .proto")
    func knownMethods() {
        let get = StorageV1.Threads.Method.GetThread.descriptor
        #expect(get.path == "/clientanalyze.storage.v1.Threads/GetThread")
        #expect(get.kind == .unary)
        #expect(get.idempotency == .noSideEffects)
        #expect(get.requestType == "clientanalyze.storage.v1.GetThreadRequest")

        #expect(StorageV1.Reports.Method.PutDocument.descriptor.kind == .clientStreaming)
        #expect(GrpcHealthV1.Health.Method.Watch.descriptor.kind == .serverStreaming)
        #expect(GrpcReflectionV1.ServerReflection.Method.ServerReflectionInfo.descriptor.kind == .bidirectionalStreaming)
        #expect(StorageV1.Jobs.Method.Lease.descriptor.idempotency == .unknown)
        #expect(!StorageV1.Jobs.Method.Lease.descriptor.idempotency.allowsRetry)
        #expect(StorageV1.Jobs.Method.Enqueue.descriptor.idempotency == .idempotent)
        #expect(GrpcTesting.TestService.Method.FullDuplexCall.descriptor.path == "/grpc.testing.TestService/FullDuplexCall")
    }

    @Test("every service the system needs is generated")
    func services() {
        let expected: Set = [
            "clientanalyze.storage.v1.Threads", "clientanalyze.storage.v1.Reports", "clientanalyze.storage.v1.FeedbackStore",
            "clientanalyze.storage.v1.Cache", "clientanalyze.storage.v1.Jobs", "clientanalyze.storage.v1.Access",
            "clientanalyze.analyzer.v1.Analyzer", "clientanalyze.render.v1.Renderer", "clientanalyze.ops.v1.Ops",
            "clientanalyze.gateway.v1.Analyses", "clientanalyze.gateway.v1.Reports", "clientanalyze.gateway.v1.Threads",
            "clientanalyze.gateway.v1.Sources", "clientanalyze.gateway.v1.Admin", "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
            "grpc.testing.TestService", "grpc.testing.UnimplementedService",
        ]
        #expect(Set(ContractsRegistry.services.keys) == expected)
    }

    @Test("every method's request and response types are generated messages")
    func messageTypesResolve() {
        let known = Set(ContractsRegistry.messages.map { $0.protoName })
        for (service, methods) in ContractsRegistry.services {
            #expect(!methods.isEmpty, "\(service) has no methods")
            for method in methods {
                #expect(method.service == service)
                #expect(known.contains(method.requestType), "\(method.path) request \(method.requestType)")
                #expect(known.contains(method.responseType), "\(method.path) response \(method.responseType)")
            }
        }
    }
}
