package import Contracts
package import Logging
package import RPCCore
package import ServiceLifecycle
#if canImport(Glibc)
internal import Glibc
#endif

/// Assembles one executable from its definition: the router with health, reflection and ops next to the
/// service's own RPC services, the standard interceptors, the dependency clients and their readiness probes,
/// the admin HTTP port, and the services to run in a `ServiceGroup` in start order. Transport-agnostic: `main`
/// passes HTTP/2 transports, tests in-process ones.
package struct ServiceChassis<Definition: ServiceDefinition>: Sendable {
    package let configuration: ConfigStore<ServiceConfiguration<Definition.Settings>>
    package let board: HealthBoard
    package let metrics: ServiceMetrics
    package let build: BuildInfo
    package let server: RPCServer
    package let context: ServiceContext<Definition.Settings>
    private let readiness: ReadinessMonitor
    private let background: [any Service]
    private let logger: Logger
    private let startedAt = ContinuousClock.now
    private let startedAtMs = UnixTime.nowMilliseconds

    /// - Parameters:
    ///   - serverTransport: where calls arrive.
    ///   - clientTransport: makes the transport to a dependency's address(es).
    package init(
        configuration: ConfigStore<ServiceConfiguration<Definition.Settings>>,
        serverTransport: any ServerTransport,
        clientTransport: (Dependency, DependencyTarget) -> any ClientTransport,
        metrics: ServiceMetrics,
        build: BuildInfo,
        logger: Logger
    ) throws {
        self.configuration = configuration
        self.metrics = metrics
        self.build = build
        self.logger = logger
        let current = configuration.current

        var clients: [String: RPCClient] = [:]
        var targets: [ReadinessMonitor.Target] = []
        for dependency in Definition.dependencies {
            let target = current.chassis.dependencies[dependency.name]
            let client = RPCClient(
                transport: clientTransport(dependency, target),
                interceptors: [
                    RPCClientMetrics(registry: metrics.registry),
                    ServiceTokenCredentials { configuration.current.chassis.serviceToken },
                ])
            clients[dependency.name] = client
            targets.append(.init(
                dependency: dependency, client: client, addresses: target.description))
        }
        context = ServiceContext(configuration: configuration, logger: logger, metrics: metrics, clients: clients)

        let parts = try Definition.makeParts(context: context)
        var router = RPCRouter()
        parts.register(&router)
        let ownServices = Set(router.methods.map(\.service))
        let chassisServices = [
            GrpcHealthV1.Health.name, OpsV1.Ops.name, GrpcReflectionV1.ServerReflection.name,
            GrpcReflectionV1alpha.ServerReflection.name,
        ]
        board = HealthBoard(services: ownServices.union(chassisServices))
        HealthService(board: board).register(in: &router)
        ReflectionService(services: Array(ownServices) + chassisServices).register(in: &router)
        let startedAtMs = self.startedAtMs
        OpsService(info: { Self.info(configuration.current, build: build, startedAtMs: startedAtMs) }, metrics: metrics)
            .register(in: &router)

        var interceptors: [any ServerInterceptor] = [RPCLogging(logger: logger), RPCServerMetrics(registry: metrics.registry)]
        if !Definition.isExternal {
            interceptors.append(ServiceTokenCheck { configuration.current.chassis.serviceToken })
        }
        server = RPCServer(
            transport: serverTransport, router: router,
            interceptors: interceptors + parts.interceptors,
            onUnexpectedError: { [logger] method, error in
                logger.error("handler failed", metadata: ["rpc.method": "\(method.path)", "error": "\(error)"])
            })
        context.local.attach(server)
        readiness = ReadinessMonitor(
            targets: targets, probes: parts.probes, board: board, settings: { configuration.current.chassis }, logger: logger)
        background = parts.background
    }

    /// What `/info` and `GetInfo` report.
    package func info() -> OpsV1.ServiceInfo {
        Self.info(configuration.current, build: build, startedAtMs: startedAtMs)
    }

    private static func info(
        _ configuration: ServiceConfiguration<Definition.Settings>, build: BuildInfo, startedAtMs: Int64
    ) -> OpsV1.ServiceInfo {
        OpsV1.ServiceInfo.with { info in
            info.name = Definition.name
            info.version = build.version
            info.gitRevision = build.revision
            info.build = build.build
            info.startedAtMs = startedAtMs
            info.uptimeMs = UnixTime.nowMilliseconds - startedAtMs
            info.instance = instanceName
            for key in Definition.configurationKeys where key.name.hasPrefix("features.") {
                info.featureFlags[String(key.name.dropFirst("features.".count))] = key.display(configuration)
            }
            info.backends = Definition.backends(configuration)
        }
    }

    /// `host:pid`, to tell instances of a scaled service apart.
    package static var instanceName: String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(host):\(getpid())"
    }

    /// The admin HTTP port for this service.
    package func adminServer() -> AdminServer {
        let admin = configuration.current.chassis.admin
        return AdminServer(
            host: admin.host, port: admin.port, service: Definition.name, board: board, metrics: metrics,
            startedAt: startedAt, info: { self.info() })
    }

    /// The services to run, in start order (shutdown runs in reverse: the RPC server drains first, the
    /// admin port and probes stop last). `admin` is the admin application, if any.
    package func services(admin: (any Service)?) -> [any Service] {
        var services: [any Service] = []
        if let admin { services.append(admin) }
        services.append(readiness)
        services += background
        services.append(RPCServerService(server: server, board: board, logger: logger))
        return services
    }

    /// Applies a SIGHUP: reloads the configuration, logs what changed (and what needs a restart), and
    /// returns the new log level for the caller to set.
    package func reloadConfiguration() -> ConfigStore<ServiceConfiguration<Definition.Settings>>.ReloadResult? {
        do {
            let result = try configuration.reload()
            if result.applied.isEmpty && result.needRestart.isEmpty {
                logger.notice("configuration reloaded: nothing changed")
            } else if !result.applied.isEmpty {
                logger.notice(
                    "configuration reloaded: \(result.applied.map(\.description).joined(separator: "; "))")
            }
            if !result.needRestart.isEmpty {
                logger.warning(
                    "configuration reloaded: these keys changed but need a restart and keep their old value: \(result.needRestart.joined(separator: ", "))")
            }
            context.reloads.run()
            return result
        } catch {
            logger.error("configuration not reloaded, the running one stays: \(error)")
            return nil
        }
    }
}
