package import ArgumentParser
internal import ServiceKit

/// The command-line flags every executable has. They are the last configuration layer.
package struct ChassisOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file (YAML). Default: $CLA_CONFIG.", valueName: "file"))
    package var config: String?

    @Option(name: .long, help: ArgumentHelp("RPC (gRPC) port; 0 picks a free one. Same as --set rpc.port=N.", valueName: "port"))
    package var rpcPort: Int?

    @Option(name: .long, help: ArgumentHelp("Admin HTTP port; 0 picks a free one. Same as --set admin.port=N.", valueName: "port"))
    package var adminPort: Int?

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("Set any configuration key, e.g. --set log.level=debug (repeatable).", valueName: "key=value"))
    package var settings: [String] = []

    @Flag(name: .long, help: "List every configuration key with its default and exit.")
    package var listKeys = false

    package init() {}

    /// The flags as configuration settings, in the order given (`--set` after the port flags).
    func rawSettings() throws(ConfigError) -> [RawSetting] {
        var settings: [RawSetting] = []
        if let rpcPort { settings.append(RawSetting(key: "rpc.port", value: String(rpcPort), origin: .flag("--rpc-port"))) }
        if let adminPort { settings.append(RawSetting(key: "admin.port", value: String(adminPort), origin: .flag("--admin-port"))) }
        for setting in self.settings {
            guard let equals = setting.firstIndex(of: "="), equals != setting.startIndex else {
                throw ConfigError(.invalidValue, "expected key=value, got \"\(setting)\"", origin: .flag("--set"))
            }
            let key = String(setting[..<equals])
            settings.append(RawSetting(key: key, value: String(setting[setting.index(after: equals)...]), origin: .flag("--set")))
        }
        return settings
    }
}
