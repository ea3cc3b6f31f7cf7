import Contracts
import Logging
import RPCCore
import RPCInProcess
import ServiceKit
import Synchronization
import Testing

/// The chassis's RPC services over the in-process transport: health, reflection, ops and the standard RPC
/// metrics, as any executable serves them.
@Suite("Service chassis")
struct ServiceChassisTests {
    enum Definition: ServiceDefinition {
        typealias Settings = NoSettings
        static let name = "test-service"
        static let summary = "A chassis under test."
        static let defaultPorts = (rpc: 0, admin: 0)
        static let dependencies = [Dependency("storage", defaultAddress: ServiceAddress(host: "127.0.0.1", port: 1), required: true)]

        static func makeParts(context: ServiceContext<NoSettings>) throws -> ServiceParts {
            ServiceParts { router in
                router.registerUnary(GrpcTesting.TestService.Method.UnaryCall.self) { request, _ in
                    if let status = request.responseStatus, status.code != 0 {
                        throw RPCError(RPCStatus.Code(rawValue: Int(status.code)), status.message)
                    }
                    return ServerResponse(GrpcTesting.SimpleResponse())
                }
            }
        }
    }

    /// Runs a chassis on an in-process transport (its dependency is another in-process server that nobody
    /// serves, so probes never run here: tests set dependency states on the board directly).
    static func withChassis(
        environment: [String: String] = [:], _ body: (ServiceChassis<Definition>, RPCClient) async throws -> Void
    ) async throws {
        let transport = InProcessTransport()
        let store = try ConfigStore(loader: ConfigLoader(
            defaults: Definition.defaultConfiguration, keys: Definition.configurationKeys, file: nil, environment: environment, flags: []))
        let chassis = try ServiceChassis<Definition>(
            configuration: store, serverTransport: transport.server, clientTransport: { _, _ in InProcessTransport().client },
            metrics: ServiceMetrics(build: BuildInfo(service: Definition.name, revision: "abc123", build: "test")),
            build: BuildInfo(service: Definition.name, revision: "abc123", build: "test"),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await chassis.server.serve() }
            try await body(chassis, RPCClient(transport: transport.client))
            chassis.server.beginGracefulShutdown()
            try await group.waitForAll()
        }
    }

    typealias Health = GrpcHealthV1.Health.Method

    @Test("with a service token configured, calls need it; health checks do not")
    func serviceToken() async throws {
        try await Self.withChassis(environment: ["CLA_RPC_SERVICE_TOKEN": "s3cret"]) { chassis, client in
            chassis.board.setPhase(.serving)
            let call = GrpcTesting.TestService.Method.UnaryCall.self
            let missing = await #expect(throws: RPCError.self) { try await client.unary(call, .init()) }
            #expect(missing?.code == .unauthenticated && missing?.message.contains("calls need the service token") == true)
            let wrong = await #expect(throws: RPCError.self) { try await client.unary(call, .init(), metadata: ["x-service-token": "guess"]) }
            #expect(wrong?.code == .unauthenticated && wrong?.message == "the service token in x-service-token is wrong")
            _ = try await client.unary(call, .init(), metadata: ["x-service-token": "s3cret"])
            _ = try await client.unary(Health.Check.self, .init())
        }
        // Without one nothing is asked.
        try await Self.withChassis { _, client in _ = try await client.unary(GrpcTesting.TestService.Method.UnaryCall.self, .init()) }
    }

    @Test func tokensCompareInConstantTimeButCorrectly() {
        #expect(ServiceTokenCheck.constantTimeEquals("abc", "abc"))
        #expect(!ServiceTokenCheck.constantTimeEquals("abc", "abd"))
        #expect(!ServiceTokenCheck.constantTimeEquals("abc", "abcd"))
        #expect(!ServiceTokenCheck.constantTimeEquals("", "a"))
    }

    @Test("health is NOT_SERVING while starting or with a required dependency down, SERVING otherwise")
    func healthCheck() async throws {
        try await Self.withChassis { chassis, client in
            let liveness = GrpcHealthV1.HealthCheckRequest.with { $0.service = "liveness" }
            #expect(try await client.unary(Health.Check.self, .init()).message.status == .notServing)  // starting
            // Alive while starting: a liveness probe must not restart a process that waits for its dependencies.
            #expect(try await client.unary(Health.Check.self, liveness).message.status == .serving)
            chassis.board.setPhase(.serving)
            #expect(try await client.unary(Health.Check.self, .init()).message.status == .notServing)  // storage not checked
            chassis.board.record(DependencyStatus(name: "storage", isRequired: true, isUp: true, detail: "SERVING"))
            #expect(try await client.unary(Health.Check.self, .init()).message.status == .serving)
            let named = try await client.unary(Health.Check.self, .with { $0.service = "grpc.testing.TestService" })
            #expect(named.message.status == .serving)
            await #expect(throws: RPCError.self) {
                try await client.unary(Health.Check.self, .with { $0.service = "no.such.Service" })
            }
            let list = try await client.unary(Health.List.self, .init()).message.statuses
            #expect(list["grpc.testing.TestService"]?.status == .serving)
            #expect(list[""]?.status == .serving && list["liveness"]?.status == .serving)
            chassis.board.record(DependencyStatus(name: "storage", isRequired: true, isUp: false, detail: "refused"))
            #expect(try await client.unary(Health.Check.self, .init()).message.status == .notServing)
            #expect(try await client.unary(Health.Check.self, liveness).message.status == .serving)
            chassis.board.setPhase(.draining)
            #expect(try await client.unary(Health.Check.self, .init()).message.status == .notServing)
        }
    }

    @Test("health Watch streams each change and ends with UNAVAILABLE when the server drains")
    func healthWatch() async throws {
        try await Self.withChassis { chassis, client in
            chassis.board.setPhase(.serving)
            chassis.board.record(DependencyStatus(name: "storage", isRequired: true, isUp: true, detail: "SERVING"))
            let seen = Mutex<[GrpcHealthV1.HealthCheckResponse.ServingStatus]>([])
            // The deadline only stops a hang: CI once stalled the whole test process for ten seconds at start.
            let error = await #expect(throws: RPCError.self) {
                try await client.streaming(Health.Watch.self, [.init()], timeout: .seconds(60)) { responses in
                    for try await response in responses {
                        let count = seen.withLock { $0.append(response.status); return $0.count }
                        if count == 1 {
                            chassis.board.record(DependencyStatus(name: "storage", isRequired: true, isUp: false, detail: "UNAVAILABLE"))
                        } else if count == 2 {
                            chassis.board.record(DependencyStatus(name: "storage", isRequired: true, isUp: true, detail: "SERVING"))
                        } else if count == 3 {
                            chassis.board.setPhase(.draining)
                        }
                    }
                }
            }
            #expect(error?.code == .unavailable)
            #expect(seen.withLock { $0 } == [.serving, .notServing, .serving, .notServing])
        }
    }

    @Test("reflection lists the services and serves the file defining a symbol with its imports")
    func reflection() async throws {
        try await Self.withChassis { _, client in
            typealias Reflection = GrpcReflectionV1.ServerReflection.Method.ServerReflectionInfo
            let requests: [GrpcReflectionV1.ServerReflectionRequest] = [
                .with { $0.messageRequest = .listServices("") },
                .with { $0.messageRequest = .fileContainingSymbol("clientanalyze.ops.v1.Ops.GetMetrics") },
                .with { $0.messageRequest = .fileContainingSymbol("no.such.Symbol") },
                .with { $0.messageRequest = .fileByFilename("clientanalyze/common/v1/report.proto") },
            ]
            let responses = try await client.streaming(Reflection.self, requests, timeout: .seconds(10)) { stream in
                var all: [GrpcReflectionV1.ServerReflectionResponse] = []
                for try await response in stream { all.append(response) }
                return all
            }.message
            try #require(responses.count == 4)
            guard case .listServicesResponse(let list)? = responses[0].messageResponse else { Issue.record("no list"); return }
            #expect(list.service.map(\.name) == [
                "clientanalyze.ops.v1.Ops", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                "grpc.reflection.v1alpha.ServerReflection", "grpc.testing.TestService",
            ])
            guard case .fileDescriptorResponse(let ops)? = responses[1].messageResponse else { Issue.record("no file"); return }
            #expect(ops.fileDescriptorProto.count == 1)
            #expect(Self.fileName(ops.fileDescriptorProto[0]) == "clientanalyze/ops/v1/ops.proto")
            guard case .errorResponse(let error)? = responses[2].messageResponse else { Issue.record("no error"); return }
            #expect(error.errorCode == Int32(RPCStatus.Code.notFound.rawValue))
            guard case .fileDescriptorResponse(let report)? = responses[3].messageResponse else { Issue.record("no file"); return }
            // report.proto imports company, findings and risk; findings is imported twice but sent once.
            #expect(report.fileDescriptorProto.map(Self.fileName) == [
                "clientanalyze/common/v1/report.proto", "clientanalyze/common/v1/company.proto",
                "clientanalyze/common/v1/findings.proto", "clientanalyze/common/v1/risk.proto",
            ])
        }
    }

    @Test("ops GetInfo reports build and flags; GetMetrics shows the RPC metrics of real calls")
    func ops() async throws {
        try await Self.withChassis { _, client in
            _ = try await client.unary(GrpcTesting.TestService.Method.UnaryCall.self, .init())
            await #expect(throws: RPCError.self) {
                try await client.unary(GrpcTesting.TestService.Method.UnaryCall.self, .with { $0.responseStatus = .with { $0.code = 5; $0.message = "nope" } })
            }
            let info = try await client.unary(OpsV1.Ops.Method.GetInfo.self, .init()).message
            #expect(info.name == "test-service")
            #expect(info.gitRevision == "abc123")
            #expect(info.featureFlags["web_search"] == "true")
            #expect(info.featureFlags["queue_backend"] == "embedded")

            let metrics = try await client.unary(OpsV1.Ops.Method.GetMetrics.self, .with { $0.namePrefix = "grpc_server_" }).message.metrics
            #expect(metrics.allSatisfy { $0.name.hasPrefix("grpc_server_") })
            let handled = try #require(metrics.first { $0.name == "grpc_server_handled_total" })
            func count(_ code: String) -> Double? {
                handled.samples.first { sample in
                    sample.labels.contains { $0.name == "grpc_method" && $0.value == "UnaryCall" }
                        && sample.labels.contains { $0.name == "grpc_code" && $0.value == code }
                }.flatMap { if case .counter(let value)? = $0.value { value } else { nil } }
            }
            #expect(count("OK") == 1)
            #expect(count("NOT_FOUND") == 1)
            let latency = try #require(metrics.first { $0.name == "grpc_server_handling_seconds" })
            #expect(latency.kind == .histogram)
        }
    }

    /// The `name` field (1) of a serialized FileDescriptorProto.
    static func fileName(_ bytes: [UInt8]) -> String {
        guard bytes.count > 2, bytes[0] == 0x0A, bytes[1] < 0x80 else { return "" }
        return String(decoding: bytes[2..<(2 + Int(bytes[1]))], as: UTF8.self)
    }
}
