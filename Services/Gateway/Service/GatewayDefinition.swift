internal import Contracts
internal import Logging
internal import RPCCore
package import ServiceKit
internal import ServiceTLS

/// `gateway`: the external API — gRPC (`clientanalyze.gateway.v1`) on the RPC port and REST/JSON under
/// `/api/v1` on the REST port — with API keys, roles, rate limits, edge validation, deadline budgets and an
/// audit log. It holds no state: keys and the audit log live in storage.
package enum GatewayDefinition: ServiceDefinition {
    package typealias Settings = GatewaySettings
    package static let name = "gateway"
    package static let summary = "Client Analyze gateway: the external gRPC and REST API."
    package static let defaultPorts = (rpc: 50051, admin: 9091)
    package static let isExternal = true
    package static let dependencies: [Dependency] = [
        Dependency("storage", defaultAddress: ServiceAddress(host: "127.0.0.1", port: 50054), required: true),
        Dependency("analyzer", defaultAddress: ServiceAddress(host: "127.0.0.1", port: 50052), required: false),
        Dependency("report-renderer", defaultAddress: ServiceAddress(host: "127.0.0.1", port: 50053), required: false),
    ]

    package static func makeParts(context: ServiceContext<GatewaySettings>) throws -> ServiceParts {
        let storage = try context.client("storage")
        let analyzer = try context.client("analyzer")
        let renderer = try context.client("report-renderer")
        let configuration = context.configuration
        let settings: @Sendable () -> GatewaySettings = { configuration.current.service }
        let current = settings()

        var bootstrapKey: ApiKeySecret?
        if current.bootstrapAdminKey.isSet {
            guard let key = ApiKeySecret(token: current.bootstrapAdminKey.value) else {
                throw ConfigError(.invalidValue, "expected an API key shaped cla_<id>_<secret> (secret ≥ 16 characters)", key: "auth.bootstrap_admin_key")
            }
            bootstrapKey = key
        }

        let keys = KeyRing(storage: storage, ttl: { settings().keyCacheTTL }, logger: context.logger)
        let access = GatewayAccess(
            keys: keys, limiter: RateLimiter(), audit: AuditLog(storage: storage, logger: context.logger), settings: settings)
        let analyses = AnalysesAPI(storage: storage, ogrn: OGRNResolver(analyzer: analyzer))
        let reports = ReportsAPI(storage: storage, renderer: renderer)
        let threads = ThreadsAPI(storage: storage, analyses: analyses)
        let admin = AdminAPI(storage: storage, analyzer: analyzer, keys: keys)

        let logger = context.logger
        let version = BuildInfo.current(service: name).version
        let mcp = MCPEndpoint(access: access, local: context.local, settings: settings, version: version, logger: context.logger)
        let sessions = WebSessions {
            let current = settings()
            return .init(lifetime: current.webSessionLifetime, idleTimeout: current.webSessionIdleTimeout, maxSessions: current.webMaxSessions)
        }
        let web = WebApp(sessions: sessions, access: access, settings: settings)
        let tls = try restTLS(context)
        let scheme = tls == nil ? "http" : "https"
        let rest = RESTServer(local: context.local, settings: settings, version: version, mcp: mcp, web: web)
            .application(host: current.restHost, port: current.restPort, tls: tls, logger: logger) { host, port in
                logger.notice(
                    "REST listening on \(scheme)://\(ServiceAddress(host: host, port: port))/api/v1", metadata: ["rest.port": "\(port)"])
            }
        let bootstrap = AdminBootstrap(storage: storage, configured: bootstrapKey, keyFile: current.adminKeyFile, logger: logger)
        return ServiceParts(
            register: { router in
                analyses.register(in: &router)
                reports.register(in: &router)
                threads.register(in: &router)
                admin.register(in: &router)
            },
            background: [bootstrap, rest],
            interceptors: [access])
    }

    /// The REST port serves the RPC port's certificate (`tls.*`), offered as HTTP/1.1, and re-reads it on
    /// SIGHUP; it asks for no client certificate (browsers sign in with keys).
    private static func restTLS(_ context: ServiceContext<GatewaySettings>) throws -> ServerTLS? {
        let configuration = context.configuration
        guard configuration.current.chassis.tls.server.isEnabled else { return nil }
        let restOnly: @Sendable () -> TLSSettings = {
            var settings = configuration.current.chassis.tls
            settings.server.clientCAFile = ""
            return settings
        }
        let source = try TLSContextSource(.server(protocols: ["http/1.1"]), settings: restOnly, use: "rest", logger: context.logger)
        context.reloads.add { source.reload() }
        return ServerTLS(source: source, use: "rest", logger: context.logger)
    }
}
