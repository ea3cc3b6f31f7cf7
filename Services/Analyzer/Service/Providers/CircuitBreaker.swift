internal import Synchronization

/// A circuit breaker per provider: after `threshold` consecutive failed calls it opens and refuses calls for
/// `coolDown`; then one trial call is let through (half-open), and its outcome closes or re-opens it.
package final class CircuitBreaker: Sendable {
    package enum State: Sendable, Equatable {
        case closed(failures: Int)
        case open(until: ContinuousClock.Instant)
        case halfOpen
    }

    private let state = Mutex<State>(.closed(failures: 0))
    private let threshold: Int
    private let coolDown: Duration
    private let now: @Sendable () -> ContinuousClock.Instant

    package init(threshold: Int = 5, coolDown: Duration = .seconds(30), now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.threshold = threshold
        self.coolDown = coolDown
        self.now = now
    }

    /// Whether a call may go ahead; an open breaker whose cool-down is over lets exactly one trial through.
    package func allow() -> Bool {
        state.withLock { state in
            switch state {
            case .closed: return true
            case .halfOpen: return false  // a trial is already under way
            case .open(let until):
                guard now() >= until else { return false }
                state = .halfOpen
                return true
            }
        }
    }

    package func record(success: Bool) {
        state.withLock { state in
            switch (state, success) {
            case (_, true): state = .closed(failures: 0)
            case (.closed(let failures), false):
                state = failures + 1 >= threshold ? .open(until: now() + coolDown) : .closed(failures: failures + 1)
            case (.halfOpen, false), (.open, false): state = .open(until: now() + coolDown)
            }
        }
    }

    package var current: State { state.withLock { $0 } }

    /// "closed", "open" or "half_open", for WorkerStatus and metrics.
    package var label: String {
        switch current {
        case .closed: "closed"
        case .open: "open"
        case .halfOpen: "half_open"
        }
    }
}
