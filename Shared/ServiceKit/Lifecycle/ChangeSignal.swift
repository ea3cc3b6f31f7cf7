internal import Synchronization

/// Wakes tasks waiting for the queue to change (a job enqueued or due again, a progress event), so that
/// long-polling leases and job watches answer at once instead of polling.
package final class ChangeSignal: Sendable {
    private let waiters = Mutex<[Int: CheckedContinuation<Void, Never>]>([:])
    private let nextID = Atomic<Int>(0)

    package init() {}

    package func notifyAll() {
        let woken = waiters.withLock { waiters in
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Returns at the next `notifyAll()`, after `timeout`, or when the task is cancelled.
    package func wait(timeout: Duration) async {
        let id = nextID.add(1, ordering: .relaxed).newValue
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        self.waiters.withLock { $0[id] = continuation }
                        // Cancelled before the continuation was registered: onCancel found nothing to resume.
                        if Task.isCancelled { self.waiters.withLock { $0.removeValue(forKey: id) }?.resume() }
                    }
                } onCancel: {
                    self.waiters.withLock { $0.removeValue(forKey: id) }?.resume()
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }
}
