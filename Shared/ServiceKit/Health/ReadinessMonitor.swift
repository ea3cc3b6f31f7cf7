internal import Contracts
package import Logging
package import RPCCore
internal import ServiceLifecycle

/// Something other than a service this one depends on, probed with them: a database server.
package struct ReadinessProbe: Sendable {
    package var name: String
    package var isRequired: Bool
    /// Answers a detail when up; throws the reason when down.
    package var check: @Sendable (_ timeout: Duration) async throws -> String

    package init(name: String, isRequired: Bool = true, check: @escaping @Sendable (_ timeout: Duration) async throws -> String) {
        self.name = name
        self.isRequired = isRequired
        self.check = check
    }
}

/// Probes the services this one depends on with `grpc.health.v1.Health/Check`, and its other probes (a
/// database server), every probe interval and records the outcome on the health board, logging each change
/// of state.
package struct ReadinessMonitor: Service {
    package struct Target: Sendable {
        package var dependency: Dependency
        package var client: RPCClient
        /// Where it is, for messages: "127.0.0.1:50054".
        package var addresses: String

        package init(dependency: Dependency, client: RPCClient, addresses: String) {
            self.dependency = dependency
            self.client = client
            self.addresses = addresses
        }
    }

    private let targets: [Target]
    private let probes: [ReadinessProbe]
    private let board: HealthBoard
    private let settings: @Sendable () -> ChassisSettings
    private let logger: Logger

    package init(
        targets: [Target], probes: [ReadinessProbe] = [], board: HealthBoard, settings: @escaping @Sendable () -> ChassisSettings,
        logger: Logger
    ) {
        self.targets = targets
        self.probes = probes
        self.board = board
        self.settings = settings
        self.logger = logger
        for target in targets {
            board.record(DependencyStatus(
                name: target.dependency.name, isRequired: target.dependency.isRequired, isUp: false, detail: DependencyStatus.notCheckedYet))
        }
        for probe in probes {
            board.record(DependencyStatus(name: probe.name, isRequired: probe.isRequired, isUp: false, detail: DependencyStatus.notCheckedYet))
        }
    }

    package func run() async throws {
        guard !targets.isEmpty || !probes.isEmpty else {
            // Nothing to probe, but a service that returns early ends its group: wait for shutdown.
            try? await gracefulShutdown()
            return
        }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await probeAll()
                try await Task.sleep(for: settings().probeInterval)
            }
        }
    }

    /// One round: every dependency at once.
    package func probeAll() async {
        let timeout = settings().probeTimeout
        await withTaskGroup(of: DependencyStatus.self) { group in
            for target in targets { group.addTask { await probe(target, timeout: timeout) } }
            for probe in probes {
                group.addTask {
                    do {
                        return DependencyStatus(name: probe.name, isRequired: probe.isRequired, isUp: true, detail: try await probe.check(timeout))
                    } catch {
                        return DependencyStatus(name: probe.name, isRequired: probe.isRequired, isUp: false, detail: "\(error)")
                    }
                }
            }
            for await status in group {
                let previous = board.dependencies.first { $0.name == status.name }
                board.record(status)
                if previous?.isUp != status.isUp || previous?.detail == DependencyStatus.notCheckedYet {
                    let message: Logger.Message = status.isUp ? "dependency is up" : "dependency is down"
                    logger.log(
                        level: status.isUp ? .info : (status.isRequired ? .warning : .notice), message,
                        metadata: ["dependency": "\(status.name)", "dependency.detail": "\(status.detail)"])
                }
            }
        }
    }

    private func probe(_ target: Target, timeout: Duration) async -> DependencyStatus {
        let dependency = target.dependency
        do {
            let reply = try await target.client.unary(GrpcHealthV1.Health.Method.Check.self, .init(), timeout: timeout)
            let status = reply.message.status
            return DependencyStatus(
                name: dependency.name, isRequired: dependency.isRequired, isUp: status == .serving,
                detail: "\(status.protoName) (\(target.addresses))")
        } catch let error as RPCError {
            return DependencyStatus(
                name: dependency.name, isRequired: dependency.isRequired, isUp: false,
                detail: error.message.contains(target.addresses)
                    ? "\(error.code.name): \(error.message)" : "\(error.code.name): \(error.message) (\(target.addresses))")
        } catch {
            return DependencyStatus(
                name: dependency.name, isRequired: dependency.isRequired, isUp: false, detail: "\(error) (\(target.addresses))")
        }
    }
}
