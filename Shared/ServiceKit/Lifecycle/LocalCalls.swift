package import RPCCore
internal import Synchronization

/// The service's own RPC server, reachable in-process: the gateway's REST API hands each request to it as an
/// RPC stream, so authentication, validation, logging and metrics are the same as for gRPC callers.
package final class LocalCalls: Sendable {
    private let server = Mutex<RPCServer?>(nil)

    package init() {}

    func attach(_ server: RPCServer) { self.server.withLock { $0 = server } }

    /// Serves `stream` as if it had arrived on the RPC port.
    package func handle(_ stream: RPCStream) async {
        guard let server = server.withLock({ $0 }) else {
            try? await stream.outbound.write(.status(RPCStatus(code: .unavailable, message: "the server is not started"), [:]))
            return
        }
        await server.handle(stream)
    }
}
