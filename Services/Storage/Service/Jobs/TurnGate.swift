internal import Synchronization

/// Runs async bodies one at a time, in arrival order: an async mutex. A `Mutex` cannot be held across an
/// `await` and an actor lets a second call in while the first awaits, so the queue of waiters is kept here.
/// (No library on the mirror provides one; this is the whole of it.)
final class TurnGate: Sendable {
    private struct State {
        var busy = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func inTurn<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await take()
        defer { pass() }
        return try await body()
    }

    private func take() async {
        await withCheckedContinuation { (turn: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state in
                if state.busy {
                    state.waiting.append(turn)
                    return false
                }
                state.busy = true
                return true
            }
            if now { turn.resume() }
        }
    }

    /// Hands the turn to the next waiter, which resumes already holding it.
    private func pass() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.busy = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
