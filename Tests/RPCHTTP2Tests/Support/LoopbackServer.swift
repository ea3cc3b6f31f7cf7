import RPCCore
import RPCHTTP2

/// An RPC server for `router` on a free loopback port. Run `server.serve()` in a task, then `await port()`
/// for the port it bound (nil if it never started).
struct LoopbackServer {
    let server: RPCServer
    private let ports: AsyncStream<Int>

    init(_ router: RPCRouter) {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let transport = HTTP2ServerTransport(.init(host: "127.0.0.1", port: 0)) { _, port in
            continuation.yield(port)
            continuation.finish()
        }
        server = RPCServer(transport: transport, router: router)
        self.ports = ports
    }

    func port() async -> Int? {
        var iterator = ports.makeAsyncIterator()
        return await iterator.next()
    }
}
