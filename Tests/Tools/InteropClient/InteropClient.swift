// interop-client: runs the gRPC interop test cases with this project's HTTP/2 client against any
// grpc.testing.TestService server (Tests/Interop runs it against Python grpcio's).
import ArgumentParser
import RPCCore
import RPCHTTP2

@main
struct InteropClient: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interop-client",
        abstract: "Run gRPC interop cases against a TestService server (plaintext HTTP/2)."
    )

    @Option(help: "Server host.") var host = "127.0.0.1"
    @Option(help: "Server port.") var port: Int
    @Option(name: .customLong("case"), help: "Cases to run (default: all). One of: \(InteropCase.allCases.map(\.rawValue).joined(separator: ", ")).")
    var cases: [String] = []

    func run() async throws {
        let selected = try (cases.isEmpty ? InteropCase.allCases.map(\.rawValue) : cases).map { name in
            guard let found = InteropCase(rawValue: name) else { throw ValidationError("unknown case \(name)") }
            return found
        }
        let transport = HTTP2ClientTransport(host: host, port: port)
        let client = RPCClient(transport: transport)
        var failed = 0
        for interopCase in selected {
            do {
                try await interopCase.run(client)
                print("PASS \(interopCase.rawValue)")
            } catch {
                failed += 1
                print("FAIL \(interopCase.rawValue): \(error)")
            }
        }
        await transport.close()
        print("\(selected.count - failed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode.failure }
    }
}
