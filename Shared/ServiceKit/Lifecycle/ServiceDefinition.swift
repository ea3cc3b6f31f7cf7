package import Logging
package import RPCCore
package import ServiceLifecycle

/// What makes one executable what it is; the chassis (`ServiceChassis`, `ServiceMain`) does the rest.
///
/// ```swift
/// enum ReportRendererDefinition: ServiceDefinition {
///     typealias Settings = NoSettings                  // or the service's own keys, besides the chassis's
///     static let name = "report-renderer"
///     static let summary = "Client Analyze report renderer: reports to PDF, Markdown, HTML and CSV."
///     static let defaultPorts = (rpc: 50053, admin: 9093)
///     static let dependencies: [Dependency] = []
///
///     static func makeParts(context: ServiceContext<NoSettings>) throws -> ServiceParts {
///         let service = RenderService(registry: context.metrics.registry, now: { UnixTime.nowMilliseconds })
///         return ServiceParts(register: { router in service.register(in: &router) })
///     }
/// }
/// ```
package protocol ServiceDefinition: SendableMetatype {
    associatedtype Settings: ServiceSettings
    /// The executable's name, e.g. `report-renderer`; also the log label and the `service` metric label.
    static var name: String { get }
    /// One line for `--help` and `/info`.
    static var summary: String { get }
    static var defaultPorts: (rpc: Int, admin: Int) { get }
    /// The services this one calls; required ones decide readiness.
    static var dependencies: [Dependency] { get }
    /// Serves clients outside the private network (the gateway), which authenticate otherwise: the service
    /// token is not asked of them.
    static var isExternal: Bool { get }

    /// Backends in use, e.g. `["storage": "sqlite"]`, for `/info` and `GetInfo`.
    static func backends(_ configuration: ServiceConfiguration<Settings>) -> [String: String]

    /// The service's own parts: its RPC services (health, reflection and ops come from the chassis) and its
    /// long-running work. Called once at start; opening a database or a connection pool happens here.
    static func makeParts(context: ServiceContext<Settings>) throws -> ServiceParts
}

/// What a service adds to the chassis.
package struct ServiceParts: Sendable {
    /// Registers the service's RPC methods.
    package var register: @Sendable (inout RPCRouter) -> Void
    /// Long-running work besides the RPC server (job workers, sweepers), started before it and stopped after.
    package var background: [any Service]
    /// Interceptors of the service's own (authentication, roles), run after the chassis's logging and metrics.
    package var interceptors: [any ServerInterceptor]
    /// What else readiness depends on (a database server), probed with the dependencies.
    package var probes: [ReadinessProbe]

    package init(
        register: @escaping @Sendable (inout RPCRouter) -> Void = { _ in }, background: [any Service] = [],
        interceptors: [any ServerInterceptor] = [], probes: [ReadinessProbe] = []
    ) {
        self.register = register
        self.background = background
        self.interceptors = interceptors
        self.probes = probes
    }
}

extension ServiceDefinition {
    package static var isExternal: Bool { false }
    package static func backends(_ configuration: ServiceConfiguration<Settings>) -> [String: String] { [:] }
    package static func makeParts(context: ServiceContext<Settings>) throws -> ServiceParts { ServiceParts() }

    /// The configuration before any file, variable or flag.
    package static var defaultConfiguration: ServiceConfiguration<Settings> {
        var chassis = ChassisSettings(rpcPort: defaultPorts.rpc, adminPort: defaultPorts.admin)
        for dependency in dependencies { chassis.dependencies[dependency.name] = .addresses([dependency.defaultAddress]) }
        return ServiceConfiguration(chassis: chassis)
    }

    package static var configurationKeys: [ConfigKey<ServiceConfiguration<Settings>>] {
        ServiceConfiguration<Settings>.keys(dependencies: dependencies)
    }
}

/// What a service's code gets from the chassis.
package struct ServiceContext<Settings: ServiceSettings>: Sendable {
    /// The live configuration (SIGHUP may change reloadable keys; read `current` when needed).
    package var configuration: ConfigStore<ServiceConfiguration<Settings>>
    package var logger: Logger
    package var metrics: ServiceMetrics
    /// Clients for the dependencies, by name, with deadline propagation and client metrics.
    package var clients: [String: RPCClient]
    /// The service's own RPC server, for front ends in the same process that call it without a network hop.
    package var local: LocalCalls
    /// Files to re-read on SIGHUP (a front end's TLS certificate).
    package var reloads: ReloadHooks

    package init(
        configuration: ConfigStore<ServiceConfiguration<Settings>>, logger: Logger, metrics: ServiceMetrics,
        clients: [String: RPCClient], local: LocalCalls = LocalCalls(), reloads: ReloadHooks = ReloadHooks()
    ) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.clients = clients
        self.local = local
        self.reloads = reloads
    }

    /// The client for a declared dependency.
    package func client(_ name: String) throws -> RPCClient {
        guard let client = clients[name] else { throw ConfigError(.invalidValue, "no client for the \(name) dependency") }
        return client
    }
}
