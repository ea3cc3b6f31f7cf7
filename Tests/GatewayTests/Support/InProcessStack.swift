import Analyzer
import Contracts
import Foundation
@testable import Gateway
import Hummingbird
import HummingbirdTesting
import Logging
import ProviderSandbox
import ReportRenderer
import RPCCore
import RPCInProcess
import ServiceKit
import ServiceLifecycle
import Storage

/// The four services in one test process, wired over in-process transports: storage (in memory), the report
/// renderer, the analyzer with its worker against an in-process provider sandbox, and the gateway with its
/// access interceptor. Calls go through the gateway as an external client's would — gRPC through `gateway`,
/// REST through the gateway's REST responder — while `storage` lets a test look behind it.
struct InProcessStack: Sendable {
    /// A gRPC client of the gateway (send `authorization` metadata with a key).
    let gateway: RPCClient
    /// A client of storage itself, bypassing the gateway.
    let storage: RPCClient
    /// The admin key the gateway generated on its first start.
    let adminKey: String
    let gatewayChassis: ServiceChassis<GatewayDefinition>

    /// Metadata carrying `key` as a bearer token.
    static func bearer(_ key: String) -> Metadata { ["authorization": "Bearer \(key)"] }
    var admin: Metadata { Self.bearer(adminKey) }

    /// Runs `body` with a fresh stack; `gateway`, `storage` and `analyzer` add settings as environment
    /// variables (`CLA_AUTH_DEFAULT_RATE_PER_MINUTE`, …); `analyzerRuns` false leaves queued jobs queued.
    static func run(
        gateway gatewayEnvironment: [String: String] = [:], storage storageEnvironment: [String: String] = [:],
        analyzer analyzerEnvironment: [String: String] = [:], analyzerRuns: Bool = true, _ body: (InProcessStack) async throws -> Void
    ) async throws {
        try await withSandbox { sandboxURL in
            let storageWire = InProcessTransport()
            let rendererWire = InProcessTransport()
            let analyzerWire = InProcessTransport()
            let gatewayWire = InProcessTransport()
            let peers = ["storage": storageWire, "report-renderer": rendererWire, "analyzer": analyzerWire]

            let storage = try chassis(
                StorageDefinition.self, storageEnvironment.merging(["CLA_STORAGE_BACKEND": "memory"]) { $1 }, storageWire, peers)
            let renderer = try chassis(ReportRendererDefinition.self, [:], rendererWire, peers)
            let analyzer = try chassis(
                AnalyzerDefinition.self,
                analyzerEnvironment.merging(["CLA_PROVIDERS_SANDBOX_URL": sandboxURL, "CLA_WORKER_CONCURRENCY": "2"]) { first, _ in first },
                analyzerWire, peers)
            let gateway = try chassis(GatewayDefinition.self, gatewayEnvironment, gatewayWire, peers)

            let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-tests-\(UUID().uuidString).key").path
            defer { try? FileManager.default.removeItem(atPath: keyFile) }

            let groups = [
                group(storage.services(admin: nil)), group(renderer.services(admin: nil)),
                group(analyzerRuns ? analyzer.services(admin: nil) : [RPCServerService(server: analyzer.server, board: analyzer.board, logger: logger)]),
                // The gateway without its REST listener: tests reach REST through its responder instead.
                group([RPCServerService(server: gateway.server, board: gateway.board, logger: logger)]),
            ]
            let running = groups.map { group in Task { try await group.run() } }
            // Stopped one at a time, callers first, so that no service drains while a caller's long poll is open.
            func stop() async throws {
                for (group, task) in zip(groups, running).reversed() {
                    await group.triggerGracefulShutdown()
                    try await task.value
                }
            }
            do {
                let storageClient = RPCClient(transport: storageWire.client)
                try await AdminBootstrap(storage: storageClient, configured: nil, keyFile: keyFile, logger: logger).ensureAdmin()
                let stack = InProcessStack(
                    gateway: RPCClient(transport: gatewayWire.client), storage: storageClient,
                    adminKey: try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
                    gatewayChassis: gateway)
                try await body(stack)
            } catch {
                try? await stop()
                throw error
            }
            try await stop()
        }
    }

    /// REST calls against the gateway's responder, in-process (no listening socket).
    func rest(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let configuration = gatewayChassis.configuration
        let server = RESTServer(local: gatewayChassis.context.local, settings: { configuration.current.service }, version: "test")
        let app = server.application(host: "127.0.0.1", port: 0, logger: Self.logger) { _, _ in }
        try await app.test(.router, body)
    }

    /// A new API key with `role`, made through the gateway's admin API.
    func key(_ role: StorageV1.Role, name: String = "test", ratePerMinute: Int32 = 0) async throws -> String {
        try await gateway.unary(GatewayV1.Admin.Method.CreateApiKey.self, .with {
            $0.name = name
            $0.role = role
            $0.rateLimitPerMinute = ratePerMinute
        }, metadata: admin).message.secret
    }

    /// Submits an analysis of `inn` and waits for its job to end.
    /// `force`: a job of its own even while an identical one is queued or running (not coalesced).
    func analyse(_ inn: String, key: String? = nil, force: Bool = false) async throws -> CommonV1.Job {
        let metadata = Self.bearer(key ?? adminKey)
        let job = try await gateway.unary(GatewayV1.Analyses.Method.Submit.self, .with {
            $0.request = .with { $0.inn = inn }
            $0.force = force
        }, metadata: metadata).message.job
        return try await finished(job?.id ?? "", metadata: metadata)
    }

    /// Waits for job `id` to end, following its progress stream.
    func finished(_ id: String, metadata: Metadata? = nil) async throws -> CommonV1.Job {
        let metadata = metadata ?? admin
        _ = try await gateway.streaming(GatewayV1.Analyses.Method.WatchJob.self, [.with { $0.jobId = id }], metadata: metadata) { events in
            for try await _ in events {}
        }
        return try await gateway.unary(GatewayV1.Analyses.Method.GetJob.self, .with { $0.jobId = id }, metadata: metadata).message.job ?? CommonV1.Job()
    }

    // MARK: Assembly

    /// Silent unless `CLA_TEST_LOG` is set (to a level: `debug`, `info`, …).
    static let logger: Logger = {
        guard let level = ProcessInfo.processInfo.environment["CLA_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) else {
            return Logger(label: "stack", factory: { _ in SwiftLogNoOpLogHandler() })
        }
        var logger = Logger(label: "stack", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = level
        return logger
    }()

    private static func chassis<Definition: ServiceDefinition>(
        _: Definition.Type, _ environment: [String: String], _ wire: InProcessTransport, _ peers: [String: InProcessTransport]
    ) throws -> ServiceChassis<Definition> {
        let store = try ConfigStore(loader: ConfigLoader(
            defaults: Definition.defaultConfiguration, keys: Definition.configurationKeys, file: nil,
            environment: environment, flags: []))
        let build = BuildInfo(service: Definition.name, revision: "test", build: "test")
        return try ServiceChassis<Definition>(
            configuration: store, serverTransport: wire.server,
            clientTransport: { dependency, _ in peers[dependency.name]!.client },
            metrics: ServiceMetrics(build: build), build: build, logger: logger)
    }

    private static func group(_ services: [any Service]) -> ServiceGroup {
        ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, logger: logger))
    }
}
