internal import Synchronization

/// Whether the service should get traffic, and why not: its lifecycle phase and the state of the services
/// it depends on. `grpc.health.v1`, `/readyz` and `/healthz` all read it.
///
/// ```swift
/// board.setPhase(.serving)                      // after the listeners are up
/// board.record(DependencyStatus(name: "storage", isRequired: true, isUp: false, detail: "connection refused"))
/// board.isReady                                  // false: a required dependency is down
/// ```
package final class HealthBoard: Sendable {
    package enum Phase: String, Sendable {
        case starting
        case serving
        case draining
    }

    private struct State {
        var phase = Phase.starting
        var dependencies: [String: DependencyStatus] = [:]
        var watchers: [Int: AsyncStream<Snapshot>.Continuation] = [:]
        var nextWatcher = 0

        var isReady: Bool {
            phase == .serving && dependencies.values.allSatisfy { !$0.isRequired || $0.isUp }
        }

        var snapshot: Snapshot { Snapshot(isReady: isReady, phase: phase) }
    }

    private let state = Mutex(State())
    /// The RPC services this server exposes; health answers for these and for "" (the whole server).
    package let services: Set<String>

    package init(services: Set<String>) { self.services = services }

    package var phase: Phase { state.withLock { $0.phase } }
    package var isReady: Bool { state.withLock { $0.isReady } }

    /// Every dependency's last probe, sorted by name.
    package var dependencies: [DependencyStatus] {
        state.withLock { $0.dependencies.values.sorted { $0.name < $1.name } }
    }

    package func setPhase(_ phase: Phase) { update { $0.phase = phase } }

    package func record(_ dependency: DependencyStatus) { update { $0.dependencies[dependency.name] = dependency } }

    /// Readiness and phase together, as watchers see them.
    package struct Snapshot: Sendable, Equatable {
        package var isReady: Bool
        package var phase: Phase
    }

    /// The state now and after every change of readiness or phase, until the stream is dropped.
    package func updates() -> AsyncStream<Snapshot> {
        let (stream, continuation) = AsyncStream.makeStream(of: Snapshot.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            let id = state.nextWatcher
            state.nextWatcher += 1
            state.watchers[id] = continuation
            continuation.yield(state.snapshot)
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }

    private func update(_ change: (inout State) -> Void) {
        state.withLock { state in
            let before = state.snapshot
            change(&state)
            if state.snapshot != before {
                for watcher in state.watchers.values { watcher.yield(state.snapshot) }
            }
        }
    }
}

/// The outcome of the last probe of one dependency.
package struct DependencyStatus: Sendable, Equatable {
    package var name: String
    package var isRequired: Bool
    package var isUp: Bool
    /// What the probe saw, e.g. "SERVING" or "UNAVAILABLE: connection refused (127.0.0.1:50054)".
    package var detail: String
    package var checkedAt: ContinuousClock.Instant

    /// The detail of a dependency before its first probe (shown by `/readyz`).
    package static let notCheckedYet = "not checked yet"

    package init(name: String, isRequired: Bool, isUp: Bool, detail: String, checkedAt: ContinuousClock.Instant = .now) {
        self.name = name
        self.isRequired = isRequired
        self.isUp = isUp
        self.detail = detail
        self.checkedAt = checkedAt
    }

    package static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.name == rhs.name && lhs.isRequired == rhs.isRequired && lhs.isUp == rhs.isUp && lhs.detail == rhs.detail
    }
}
