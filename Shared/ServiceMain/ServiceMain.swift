#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import ArgumentParser
internal import Logging
internal import Metrics
internal import Prometheus
internal import RPCCore
internal import RPCHTTP2
package import ServiceKit
internal import ServiceLifecycle
internal import ServiceTLS
internal import Synchronization
internal import UnixSignals
#if canImport(Glibc)
internal import Glibc
#endif

/// The `main` of every executable: configuration (a bad one prints one line and exits 2), logging and
/// metrics bootstrap, HTTP/2 transports, the chassis, and a service group driven by signals — SIGTERM or
/// SIGINT drains and exits 0, a second one exits at once, SIGHUP reloads the configuration.
package enum ServiceMain {
    package static func run<Definition: ServiceDefinition>(_ definition: Definition.Type, options: ChassisOptions) async throws {
        if options.listKeys {
            printKeys(Definition.self)
            return
        }
        let store = try loadConfiguration(Definition.self, options: options)
        let settings = store.current.chassis

        let logging = ServiceLogging(format: settings.log.format, level: settings.log.level)
        LoggingSystem.bootstrap(
            { label, provider in logging.makeHandler(label: label, metadataProvider: provider) },
            metadataProvider: RPCLogMetadata.provider)
        let logger = Logger(label: Definition.name)

        let build = BuildInfo.current(service: Definition.name)
        let metrics = ServiceMetrics(build: build)
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))

        let security: TransportSecurity
        do {
            security = try TransportSecurity(settings: { store.current.chassis.tls }, logger: logger)
        } catch {
            var line = "\(Definition.name): \(error)\n"
            line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
            throw ExitCode(2)
        }

        // The board exists once the chassis does; the transport reports listening only after that.
        let listeningBoard = Mutex<HealthBoard?>(nil)
        var serverConfiguration = HTTP2ServerTransport.Configuration(host: settings.rpc.host, port: settings.rpc.port)
        serverConfiguration.maxMessageSize = settings.maxMessageBytes
        serverConfiguration.drainTimeout = settings.drainTimeout
        serverConfiguration.security = security.server
        let scheme = security.server == nil ? "h2c" : "TLS"
        let transport = HTTP2ServerTransport(serverConfiguration) { host, port in
            logger.notice(
                "RPC listening on \(ServiceAddress(host: host, port: port)) (\(scheme))",
                metadata: ["rpc.port": "\(port)", "allocator": "\(Allocator.name)"])
            listeningBoard.withLock { $0 }?.setPhase(.serving)
        }
        let chassis: ServiceChassis<Definition>
        do {
            chassis = try ServiceChassis<Definition>(
                configuration: store, serverTransport: transport,
                clientTransport: { dependency, target in
                    DependencyTransports.make(
                        dependency, target, settings: settings, security: security, logger: logger)
                },
                metrics: metrics, build: build, logger: logger)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode.failure
        }
        listeningBoard.withLock { $0 = chassis.board }
        chassis.context.reloads.add { security.reload() }

        let admin = chassis.adminServer().application(logger: logger) { host, port in
            logger.notice("admin HTTP listening on \(ServiceAddress(host: host, port: port))", metadata: ["admin.port": "\(port)"])
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: chassis.services(admin: admin).map { .init(service: $0) }, logger: logger))
        logger.notice("starting \(Definition.name) \(build.version) (\(build.revision))")

        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                tasks.addTask {
                    await handleSignals(group: group, chassis: chassis, levelControl: logging.levelControl, logger: logger)
                }
                try await tasks.next()
                tasks.cancelAll()
            }
        } catch {
            logger.critical("stopped by an error: \(error)")
            throw ExitCode.failure
        }
        logger.notice("stopped")
    }

    private static func loadConfiguration<Definition: ServiceDefinition>(
        _ definition: Definition.Type, options: ChassisOptions
    ) throws -> ConfigStore<ServiceConfiguration<Definition.Settings>> {
        let result = Result { () throws(ConfigError) in
            let loader = ConfigLoader(
                defaults: Definition.defaultConfiguration, keys: Definition.configurationKeys, file: options.config,
                environment: ProcessInfo.processInfo.environment, flags: try options.rawSettings())
            return try ConfigStore(loader: loader)
        }
        switch result {
        case .success(let store):
            return store
        case .failure(let error):
            var line = "\(Definition.name): \(error)\n"
            line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
            throw ExitCode(2)
        }
    }

    /// SIGTERM/SIGINT: graceful shutdown, then on a second one exit at once; SIGHUP: reload.
    private static func handleSignals<Definition: ServiceDefinition>(
        group: ServiceGroup, chassis: ServiceChassis<Definition>, levelControl: LogLevelControl, logger: Logger
    ) async {
        var stopping = false
        for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup) {
            switch signal {
            case .sighup:
                if chassis.reloadConfiguration() != nil {
                    levelControl.current = Logger.Level(chassis.configuration.current.chassis.log.level)
                }
            default:
                if stopping {
                    logger.warning("second \(signal): exiting now without waiting for calls in flight")
                    exit(1)
                }
                stopping = true
                logger.notice("\(signal): shutting down gracefully (send it again to exit at once)")
                await group.triggerGracefulShutdown()
            }
        }
    }

    private static func printKeys<Definition: ServiceDefinition>(_ definition: Definition.Type) {
        let defaults = Definition.defaultConfiguration
        for key in Definition.configurationKeys {
            var line = "\(key.name) = \(key.display(defaults))"
            line += "    [\(key.environmentName)\(key.isSecret ? ", or \(key.environmentName)_FILE" : "")"
            line += key.isReloadable ? ", reloadable" : ""
            print(line + "]\n    \(key.help)")
        }
    }
}
