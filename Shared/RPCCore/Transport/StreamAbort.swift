internal import Synchronization

/// Tells a server that a stream ended before its handler answered: the client reset it or the connection
/// closed. The transport then cancels the handler, so work for a caller that is gone stops (a long-poll does
/// not hand a job to a dead worker).
package final class StreamAbort: Sendable {
    private struct State {
        var aborted = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    package init() {}

    /// The peer is gone before the answer: every waiter returns.
    package func abort() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.aborted else { return [] }
            state.aborted = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when the stream is aborted or the calling task is cancelled (the handler finished first).
    package func wait() async {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.aborted || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}

extension RPCStream {
    /// Runs `handler` for this stream, cancelling it if the stream is aborted first.
    package func serve(_ handler: @escaping @Sendable (RPCStream) async -> Void) async {
        guard let abort else { return await handler(self) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await handler(self) }
            group.addTask { await abort.wait() }
            await group.next()
            group.cancelAll()
        }
    }
}
