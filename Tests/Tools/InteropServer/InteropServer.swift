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
    @Option(help: "Close connections without streams after this many milliseconds (0: never).")
    var idleTimeoutMs = 300_000
    @Option(help: "Client pings closer together than this (ms) while no call is open count as strikes.")
    var minPingIntervalMs = 300_000
    @Option(help: "Ping strikes tolerated before GOAWAY too_many_pings.") var maxPingStrikes = 2

    func run() async throws {
        var router = RPCRouter()
        TestService.register(in: &router)
        var configuration = HTTP2ServerTransport.Configuration(host: host, port: port)
        configuration.connectionPolicy.idleTimeout = idleTimeoutMs > 0 ? .milliseconds(idleTimeoutMs) : nil
        configuration.connectionPolicy.minPingIntervalWithoutCalls = .milliseconds(minPingIntervalMs)
        configuration.connectionPolicy.maxPingStrikes = maxPingStrikes
        let transport = HTTP2ServerTransport(configuration) { host, port in
            // Test harnesses wait for this line to learn the port.
            print("interop-server listening on \(host):\(port) (allocator: \(Allocator.name))")
            fflush(stdout)
        }
        try await RPCServer(transport: transport, router: router).serve()
    }
}
