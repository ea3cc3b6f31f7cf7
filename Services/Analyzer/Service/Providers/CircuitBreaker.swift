internal import Synchronization
internal import ServiceKit

/// A circuit breaker per provider: after `threshold` consecutive failed calls that came from at least two
/// subjects it opens and refuses calls for `coolDown`; then one trial call is let through (half-open), and its
/// outcome closes or re-opens it. Failures of one subject alone never open it: a provider that chokes on one
/// company (a malformed answer, a 404 for that INN, its own retries) is not down for the next company. The
/// subject of a call is `ProviderSubject.current`; calls without one count as distinct subjects.
package final class CircuitBreaker: Sendable {
    package enum State: Sendable, Equatable {
        case closed(failures: Int, subjects: Set<String>)
        /// `since`: the wall-clock time (Unix ms) the breaker opened, for reports ("unavailable since …").
        case open(until: ContinuousClock.Instant, since: Int64)
        case halfOpen(since: Int64)
    }

    private let state = Mutex<State>(.closed(failures: 0, subjects: []))
    private let threshold: Int
    private let coolDown: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let wallClock: @Sendable () -> Int64

    package init(
        threshold: Int = 5, coolDown: Duration = .seconds(30), now: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
        wallClock: @escaping @Sendable () -> Int64 = { UnixTime.nowMilliseconds }
    ) {
        self.threshold = threshold
        self.coolDown = coolDown
        self.now = now
        self.wallClock = wallClock
    }

    /// Whether a call may go ahead; an open breaker whose cool-down is over lets exactly one trial through.
    /// When refused: since when the provider has been failing.
    package func allow() -> (allowed: Bool, unavailableSince: Int64) {
        state.withLock { state in
            switch state {
            case .closed: return (true, 0)
            case .halfOpen(let since): return (false, since)  // a trial is already under way
            case .open(let until, let since):
                guard now() >= until else { return (false, since) }
                state = .halfOpen(since: since)
                return (true, since)
            }
        }
    }

    package func record(success: Bool) {
        let subject = ProviderSubject.current ?? "call-\(UInt64.random(in: .min ... .max))"
        state.withLock { state in
            switch (state, success) {
            case (_, true): state = .closed(failures: 0, subjects: [])
            case (.closed(let failures, var subjects), false):
                subjects.insert(subject)
                if failures + 1 >= threshold, subjects.count >= min(2, threshold) {
                    state = .open(until: now() + coolDown, since: wallClock())
                } else {
                    state = .closed(failures: failures + 1, subjects: subjects)
                }
            case (.halfOpen(let since), false), (.open(_, let since), false): state = .open(until: now() + coolDown, since: since)
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

/// The subject (INN) provider calls of the current task are about; the collector sets it for one analysis.
package enum ProviderSubject {
    @TaskLocal package static var current: String?
}
