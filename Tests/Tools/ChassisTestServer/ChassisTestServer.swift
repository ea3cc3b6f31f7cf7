// chassis-test-server: the service chassis around grpc.testing.TestService, whose calls can be made slow
// (StreamingOutputCall with interval_us). The system tests (Tests/Interop/test_chassis.py) use it to check
// graceful shutdown with calls in flight, which the four real executables cannot show before they have
// business methods.
internal import ArgumentParser
internal import InteropTestService
internal import RPCCore
internal import ServiceKit
internal import ServiceMain

enum ChassisTestDefinition: ServiceDefinition {
    typealias Settings = NoSettings
    static let name = "chassis-test-server"
    static let summary = "The service chassis serving grpc.testing.TestService, for tests."
    static let defaultPorts = (rpc: 0, admin: 0)
    static let dependencies: [Dependency] = []

    static func makeParts(context: ServiceContext<NoSettings>) throws -> ServiceParts {
        ServiceParts { router in TestService.register(in: &router) }
    }
}

@main
enum ChassisTestServerMain {
    static func main() async {
        await ServiceCommand<ChassisTestDefinition>.main()
    }
}
