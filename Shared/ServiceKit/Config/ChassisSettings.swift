/// The settings every executable shares: where it listens, how it logs, how it shuts down, its feature flags
/// and the addresses of the services it calls. Defaults are in code; see `ServiceConfiguration` for layering.
///
/// ```swift
/// let settings = ChassisSettings(rpcPort: 50054, adminPort: 9094).defaults { $0.log.level = .debug }
/// ```
package struct ChassisSettings: Sendable, Equatable {
    package struct Listener: Sendable, Equatable {
        package var host = "127.0.0.1"
        package var port: Int
    }

    package struct Log: Sendable, Equatable {
        package var level = LogLevel.info
        package var format = LogFormat.console
    }

    package var rpc: Listener
    package var admin: Listener
    /// Largest message accepted or sent, in bytes (RESOURCE_EXHAUSTED above it).
    package var maxMessageBytes = 4 << 20
    /// The token internal services require in `x-service-token`, and every service sends to its dependencies.
    package var serviceToken = Secret()
    package var log = Log()
    /// How long in-flight calls may run after SIGTERM before their connections are closed.
    package var drainTimeout = Duration.seconds(30)
    /// How often the required dependencies are probed for `/readyz` and health.
    package var probeInterval = Duration.seconds(2)
    /// How long one probe may take before the dependency counts as down.
    package var probeTimeout = Duration.seconds(1)
    package var features = FeatureFlags()
    /// Addresses of the services this one calls, by dependency name.
    package var dependencies = DependencyAddresses()
    /// The certificate this service serves and how it dials its dependencies.
    package var tls = TLSSettings()
    /// How often `dns:` dependency names are resolved again.
    package var dnsRefreshInterval = Duration.seconds(30)

    package init(rpcPort: Int, adminPort: Int) {
        rpc = Listener(port: rpcPort)
        admin = Listener(port: adminPort)
    }

    /// A copy with `change` applied, for building configurations in code and tests.
    package func defaults(_ change: (inout Self) -> Void) -> Self {
        var copy = self
        change(&copy)
        return copy
    }

    /// The keys for a service with the given dependencies.
    package static func keys(dependencies: [Dependency]) -> [ConfigKey<ChassisSettings>] {
        var keys: [ConfigKey<ChassisSettings>] = [
            .string("rpc.host", \.rpc.host, help: "Address the RPC (gRPC) port binds; 0.0.0.0 for all interfaces.", validate: Self.validateHost),
            .integer("rpc.port", \.rpc.port, in: 0...65_535, help: "RPC port; 0 picks a free one (logged)."),
            .integer("rpc.max_message_bytes", \.maxMessageBytes, in: 1024...(64 << 20), help: "Largest RPC message in bytes."),
            .secret(
                "rpc.service_token", \.serviceToken,
                help: "Shared token between the services: sent to dependencies; internal services refuse calls without it (health checks excepted). Empty: not required."),
            .string("admin.host", \.admin.host, help: "Address the admin HTTP port (/metrics, /healthz, /readyz, /info) binds.", validate: Self.validateHost),
            .integer("admin.port", \.admin.port, in: 0...65_535, help: "Admin HTTP port; 0 picks a free one (logged)."),
            .choice("log.level", \.log.level, help: "trace, debug, info, notice, warning, error or critical.", reloadable: true),
            .choice("log.format", \.log.format, help: "console (readable) or json (one object per line)."),
            .duration("shutdown.drain_timeout", \.drainTimeout, in: .zero...Duration.seconds(600), help: "Time in-flight calls get after SIGTERM."),
            .duration("health.probe_interval", \.probeInterval, in: .milliseconds(50)...Duration.seconds(300), help: "How often required dependencies are probed.", reloadable: true),
            .duration("health.probe_timeout", \.probeTimeout, in: .milliseconds(10)...Duration.seconds(60), help: "Time one dependency probe may take.", reloadable: true),
        ]
        keys += FeatureFlags.keys.map { $0.lifted(\.features) }
        keys += TLSSettings.keys().map { $0.lifted(\.tls) }
        if !dependencies.isEmpty {
            keys.append(.duration(
                "dependencies.dns_refresh_interval", \.dnsRefreshInterval, in: .milliseconds(100)...Duration.seconds(3600),
                help: "How often dns:/// dependency names are resolved again (also soon after a connection fails)."))
        }
        for dependency in dependencies {
            let name = dependency.name
            keys.append(.dependencyTarget(
                "dependencies.\(dependency.configName).address",
                \.dependencies[name],
                help: "Address(es) of \(name): host:port, comma-separated for several instances, or dns:///name:port for every address a DNS name has (re-resolved)."))
        }
        return keys
    }

    private static func validateHost(_ text: String) -> String? {
        text.isEmpty || text.contains(where: \.isWhitespace) ? "expected a host name or IP address, got \(text.quoted)" : nil
    }
}

/// Where the services this one calls are, by name; a name never set has no addresses.
package struct DependencyAddresses: Sendable, Equatable {
    private var targets: [String: DependencyTarget] = [:]

    package init() {}

    package subscript(_ name: String) -> DependencyTarget {
        get { targets[name] ?? .addresses([]) }
        set { targets[name] = newValue }
    }
}

/// Another service this one calls. A required dependency that is down makes the service not ready.
package struct Dependency: Sendable, Hashable {
    /// The service's name, e.g. `report-renderer`.
    package var name: String
    package var defaultAddress: ServiceAddress
    package var isRequired: Bool

    package init(_ name: String, defaultAddress: ServiceAddress, required: Bool) {
        self.name = name
        self.defaultAddress = defaultAddress
        self.isRequired = required
    }

    /// The name as a configuration key segment: `report_renderer`.
    package var configName: String { String(name.map { $0 == "-" ? "_" : $0 }) }
}

/// swift-log's levels by their configuration names.
package enum LogLevel: String, Sendable, CaseIterable {
    case trace, debug, info, notice, warning, error, critical
}

package enum LogFormat: String, Sendable, CaseIterable {
    case console
    case json
}
