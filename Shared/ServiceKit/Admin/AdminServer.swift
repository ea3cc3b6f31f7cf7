#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
package import Hummingbird
package import Contracts
package import Logging
internal import NIOCore

/// The admin HTTP/1.1 port every service has: `GET /metrics` (Prometheus text 0.0.4), `GET /healthz`
/// (liveness), `GET /readyz` (readiness with per-dependency status; 503 when not ready) and `GET /info`.
/// It stays up while the RPC server drains, so operators see the drain in `/readyz` and `/metrics`.
package struct AdminServer: Sendable {
    package var host: String
    package var port: Int
    private let service: String
    private let board: HealthBoard
    private let metrics: ServiceMetrics
    private let info: @Sendable () -> OpsV1.ServiceInfo
    private let startedAt: ContinuousClock.Instant

    package init(
        host: String, port: Int, service: String, board: HealthBoard, metrics: ServiceMetrics,
        startedAt: ContinuousClock.Instant, info: @escaping @Sendable () -> OpsV1.ServiceInfo
    ) {
        self.host = host
        self.port = port
        self.service = service
        self.board = board
        self.metrics = metrics
        self.startedAt = startedAt
        self.info = info
    }

    /// The Hummingbird application, a `Service` for the service group. `onListening` gets the bound port
    /// (the real one when 0 was asked for).
    package func application(
        logger: Logger, onListening: @escaping @Sendable (String, Int) -> Void
    ) -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: .init(address: .hostname(host, port: port), serverName: service),
            onServerRunning: { channel in onListening(host, channel.localAddress?.port ?? port) },
            logger: logger
        )
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
        router.get("/healthz") { _, _ in
            Self.json(AdminDocuments.Liveness(service: service, uptime_seconds: (ContinuousClock.now - startedAt).seconds))
        }
        router.get("/readyz") { _, _ in
            let ready = board.isReady
            let now = ContinuousClock.now
            let document = AdminDocuments.Readiness(
                status: ready ? "ready" : "not_ready", phase: board.phase.rawValue,
                dependencies: board.dependencies.map { dependency in
                    .init(
                        name: dependency.name, required: dependency.isRequired, status: dependency.isUp ? "up" : "down",
                        detail: dependency.detail, checked_seconds_ago: (now - dependency.checkedAt).seconds)
                })
            return Self.json(document, status: ready ? .ok : .serviceUnavailable)
        }
        router.get("/info") { _, _ in Self.json(AdminDocuments.Info(info())) }
        return router
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
