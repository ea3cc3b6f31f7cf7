package import Logging
package import RPCCore
internal import ServiceLifecycle

/// Runs the RPC server in a service group. On graceful shutdown (SIGTERM) it first turns health to
/// NOT_SERVING, then stops accepting calls and lets those in flight finish (within the transport's drain
/// timeout); `run()` returns when the last one is done.
package struct RPCServerService: Service {
    private let server: RPCServer
    private let board: HealthBoard
    private let logger: Logger

    package init(server: RPCServer, board: HealthBoard, logger: Logger) {
        self.server = server
        self.board = board
        self.logger = logger
    }

    package func run() async throws {
        try await withGracefulShutdownHandler {
            try await server.serve()
        } onGracefulShutdown: {
            board.setPhase(.draining)
            logger.notice("draining: health is NOT_SERVING, new calls are refused, calls in flight may finish")
            server.beginGracefulShutdown()
        }
        logger.notice("RPC server stopped")
    }
}
