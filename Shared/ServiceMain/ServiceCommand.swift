package import ArgumentParser
package import ServiceKit

/// The command line of an executable: `--help`, `--version`, the chassis flags, then `ServiceMain.run`.
///
/// ```swift
/// @main enum Main { static func main() async { await ServiceCommand<StorageDefinition>.main() } }
/// ```
package struct ServiceCommand<Definition: ServiceDefinition>: AsyncParsableCommand {
    package static var configuration: CommandConfiguration {
        let build = BuildInfo.current(service: Definition.name)
        return CommandConfiguration(
            commandName: Definition.name,
            abstract: Definition.summary,
            discussion: """
                Configuration layers, later wins: defaults, the YAML file (--config or CLA_CONFIG), CLA_* \
                environment variables (rpc.port → CLA_RPC_PORT; secrets also from CLA_…_FILE), then flags. \
                --list-keys prints every key. SIGHUP reloads the file; SIGTERM drains and exits.
                """,
            version: "\(Definition.name) \(build.version) (\(build.revision), \(build.build))")
    }

    @OptionGroup package var options: ChassisOptions

    package init() {}

    package func run() async throws {
        try await ServiceMain.run(Definition.self, options: options)
    }
}
