// The executable: flags and configuration, then the chassis (Shared/ServiceMain).
internal import ArgumentParser
internal import Gateway
internal import ServiceMain

@main
enum GatewayMain {
    static func main() async {
        await ServiceCommand<GatewayDefinition>.main()
    }
}
