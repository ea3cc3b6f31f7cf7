internal import Logging
internal import RPCCore
internal import RPCHTTP2
internal import ServiceKit
internal import ServiceTLS

/// The HTTP/2 transport to a dependency: round-robin over fixed addresses, or balanced over every address
/// of a `dns:` name, re-resolved while running.
enum DependencyTransports {
    static func make(
        _ dependency: Dependency, _ target: DependencyTarget, settings: ChassisSettings, security: TransportSecurity, logger: Logger
    ) -> any ClientTransport {
        let maxMessageSize = settings.maxMessageBytes
        switch target {
        case .addresses(let addresses):
            return RoundRobinTransport(addresses.map {
                HTTP2ClientTransport(host: $0.host, port: $0.port, maxMessageSize: maxMessageSize, security: security.client)
            })
        case .dns(let name, let port, let server):
            // The instances' certificates carry the name, not the addresses it resolves to.
            let tls = security.client.map { $0.checking(name: settings.tls.client.serverName.isEmpty ? name : settings.tls.client.serverName) }
            let resolver = DNSResolver(host: name, port: port, server: server.map { ($0.host, $0.port) })
            let events = logger
            return BalancedTransport(
                resolver: resolver, refreshInterval: settings.dnsRefreshInterval,
                report: { event in report(event, dependency: dependency.name, name: resolver.name, logger: events) }
            ) { address in
                HTTP2ClientTransport(host: address.host, port: address.port, maxMessageSize: maxMessageSize, security: tls)
            }
        }
    }

    private static func report(
        _ event: BalancedTransport<HTTP2ClientTransport>.Event, dependency: String, name: String, logger: Logger
    ) {
        let metadata: Logger.Metadata = ["dependency": "\(dependency)", "dependency.target": "\(name)"]
        switch event {
        case .resolved(let added, let removed, let count):
            var message = "\(dependency) resolved to \(count) address(es)"
            if !added.isEmpty { message += "; added \(added.map(\.description).joined(separator: ", "))" }
            if !removed.isEmpty { message += "; removed \(removed.map(\.description).joined(separator: ", ")) (draining)" }
            logger.notice("\(message)", metadata: metadata)
        case .resolutionFailed(let reason, let keeping):
            logger.warning("cannot resolve \(name): \(reason); keeping \(keeping) address(es)", metadata: metadata)
        case .drained(let address):
            logger.info("\(dependency) at \(address) drained and closed", metadata: metadata)
        }
    }
}
