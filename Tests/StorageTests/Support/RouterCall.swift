import Contracts
import RPCCore
import RPCInProcess

/// Calls one method of a service through its registered handler, over the in-process transport, as a
/// client would.
enum RouterCall {
    static func unary<M: ProtoMethod>(
        register: (inout RPCRouter) -> Void, _ method: M.Type, _ request: M.Input
    ) async throws -> M.Output where M.Input: Sendable, M.Output: Sendable {
        var router = RPCRouter()
        register(&router)
        let transport = InProcessTransport()
        let server = RPCServer(transport: transport.server, router: router)
        return try await withThrowingTaskGroup(of: M.Output?.self) { group in
            group.addTask {
                try await server.serve()
                return nil
            }
            let reply = try await RPCClient(transport: transport.client).unary(method, request).message
            server.beginGracefulShutdown()
            try await group.waitForAll()
            return reply
        }
    }
}
