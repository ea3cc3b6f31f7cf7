internal import RPCCore
internal import Synchronization

/// Starts one handler task per request stream, straight from the connection's event loop and on it, and
/// counts them so that `listen` can return once a shutdown began and the last one finished.
///
/// Handing streams to one listening task first would cost every call two thread hops (to that task and back
/// to the loop) and, at tens of thousands of calls a second, most of a core.
final class StreamLauncher: Sendable {
    private struct State {
        var accepting = true
        var inFlight = 0
        var idle: CheckedContinuation<Void, Never>?

        mutating func takeIdleWaiter() -> CheckedContinuation<Void, Never>? {
            guard !accepting, inFlight == 0 else { return nil }
            defer { idle = nil }
            return idle
        }
    }

    private let handler: @Sendable (RPCStream) async -> Void
    private let state = Mutex(State())

    init(_ handler: @escaping @Sendable (RPCStream) async -> Void) { self.handler = handler }

    /// Starts the handler on the stream's executor; nil once the server stopped accepting streams.
    ///
    /// The handler runs at once, on the calling thread (the connection's event loop), up to its first
    /// suspension; the task it returns may already have finished.
    func launch(_ stream: RPCStream) -> Task<Void, Never>? {
        let accepted = state.withLock { state in
            guard state.accepting else { return false }
            state.inFlight += 1
            return true
        }
        guard accepted else { return nil }
        return Task.immediate(executorPreference: stream.executor) { [handler] in
            await handler(stream)
            self.finished()
        }
    }

    private func finished() {
        state.withLock { state in
            state.inFlight -= 1
            return state.takeIdleWaiter()
        }?.resume()
    }

    /// No new streams from now on; those in flight go on.
    func stopAccepting() {
        state.withLock { state in
            state.accepting = false
            return state.takeIdleWaiter()
        }?.resume()
    }

    /// Returns once `stopAccepting()` was called and no handler is running.
    func waitUntilStoppedAndIdle() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                guard state.accepting || state.inFlight > 0 else { return true }
                state.idle = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }
}
