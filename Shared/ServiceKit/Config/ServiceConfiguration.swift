/// The settings a service adds to the chassis (provider keys, database path, …), with their keys.
package protocol ServiceSettings: Sendable, Equatable {
    static var defaults: Self { get }
    static var keys: [ConfigKey<Self>] { get }
}

/// For services that have no settings of their own yet.
package struct NoSettings: ServiceSettings {
    package static let defaults = NoSettings()
    package static let keys: [ConfigKey<NoSettings>] = []
}

/// A service's whole configuration: the chassis part every executable has, and its own.
///
/// Layers, later wins: the defaults in code, the YAML file (`--config` or `CLA_CONFIG`), environment
/// variables (`CLA_` + the key upper-cased with dots as underscores: `rpc.port` → `CLA_RPC_PORT`), and
/// command-line flags (`--rpc-port`, `--admin-port`, `--set key=value`). `ConfigLoader` does the layering.
package struct ServiceConfiguration<Settings: ServiceSettings>: Sendable, Equatable {
    package var chassis: ChassisSettings
    package var service: Settings

    package init(chassis: ChassisSettings, service: Settings = .defaults) {
        self.chassis = chassis
        self.service = service
    }

    /// Every key this configuration understands, chassis first.
    package static func keys(dependencies: [Dependency]) -> [ConfigKey<Self>] {
        ChassisSettings.keys(dependencies: dependencies).map { $0.lifted(\.chassis) }
            + Settings.keys.map { $0.lifted(\.service) }
    }
}
