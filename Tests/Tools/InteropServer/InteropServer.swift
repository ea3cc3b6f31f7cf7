// interop-server: serves grpc.testing.TestService over the project's HTTP/2 transport, for the gRPC interop
// tests (Tests/Interop/test_grpc_interop.py) and the benchmark (`make bench`).
import ArgumentParser
import RPCCore
import RPCHTTP2
import InteropTestService

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

@main
struct InteropServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interop-server",
        abstract: "Serve grpc.testing.TestService over gRPC/HTTP/2 (plaintext)."
    )

    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind; 0 picks a free one.") var port = 0

    func run() async throws {
        var router = RPCRouter()
        TestService.register(in: &router)
        let transport = HTTP2ServerTransport(.init(host: host, port: port)) { host, port in
            // Test harnesses wait for this line to learn the port.
            print("interop-server listening on \(host):\(port)")
            fflush(stdout)
        }
        try await RPCServer(transport: transport, router: router).serve()
    }
}
