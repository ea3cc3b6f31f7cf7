package import Contracts
package import RPCCore

/// `grpc.health.v1.Health` over a `HealthBoard`: SERVING only while the server is up and every required
/// dependency answers; NOT_SERVING while starting, draining or when a required dependency is down. Answers
/// for "" (the whole server) and for each service it exposes; others are NOT_FOUND (Check) or
/// SERVICE_UNKNOWN (Watch), as the health protocol asks. When the server drains, Watch streams get
/// NOT_SERVING and then end with UNAVAILABLE.
///
/// `liveness` answers SERVING whenever the server answers at all, whatever its dependencies: what a
/// liveness probe asks (Kubernetes' gRPC probe; the admin port's `/healthz` says the same). A process
/// restarted because storage is down would not bring storage back.
package struct HealthService: Sendable {
    private typealias Status = GrpcHealthV1.HealthCheckResponse.ServingStatus
    private let board: HealthBoard

    package init(board: HealthBoard) { self.board = board }

    package func register(in router: inout RPCRouter) {
        router.registerUnary(GrpcHealthV1.Health.Method.Check.self) { request, _ in
            guard let status = status(of: request.service) else {
                throw RPCError(.notFound, "unknown service \(request.service.quoted)")
            }
            return ServerResponse(.with { $0.status = status })
        }
        router.registerUnary(GrpcHealthV1.Health.Method.List.self) { _, _ in
            var response = GrpcHealthV1.HealthListResponse()
            for service in board.services.union(["", Self.liveness]) {
                response.statuses[service] = .with { $0.status = status(of: service) ?? .serviceUnknown }
            }
            return ServerResponse(response)
        }
        router.registerServerStreaming(GrpcHealthV1.Health.Method.Watch.self) { request, writer, _ in
            guard status(of: request.service) != nil else {
                // The protocol: report SERVICE_UNKNOWN and keep the stream open (the service may appear).
                try await writer.write(.with { $0.status = .serviceUnknown })
                try await Task.sleepUntilCancelled()
                return [:]
            }
            var last: Status?
            for await snapshot in board.updates() {
                let status: Status = snapshot.isReady ? .serving : .notServing
                if status != last {
                    try await writer.write(.with { $0.status = status })
                    last = status
                }
                // A watch would otherwise hold the drain open until its timeout; UNAVAILABLE tells the
                // watcher to look elsewhere (or here again, after a restart).
                if snapshot.phase == .draining { throw RPCError(.unavailable, "the server is shutting down") }
            }
            return [:]
        }
    }

    package static let liveness = "liveness"

    private func status(of service: String) -> Status? {
        if service == Self.liveness { return .serving }
        guard service.isEmpty || board.services.contains(service) else { return nil }
        return board.isReady ? .serving : .notServing
    }
}

extension Task where Success == Never, Failure == Never {
    /// Suspends until the task is cancelled, then throws `CancellationError`.
    static func sleepUntilCancelled() async throws {
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}
