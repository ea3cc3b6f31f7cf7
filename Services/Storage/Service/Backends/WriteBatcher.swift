internal import Dispatch
internal import GRDB
internal import Synchronization

/// Group commit: writes that arrive while a commit is in progress wait and then go to disk together, in
/// one transaction and one fsync, each in its own savepoint so that one failing write fails alone. Under
/// concurrent load this multiplies durable writes per second; a lone write is committed at once.
final class WriteBatcher: Sendable {
    /// One queued write: `run` does the work inside the batch's transaction and keeps its result; `finish`
    /// hands the result (or the commit's failure) to the waiting caller once the batch is durable.
    private struct Pending: Sendable {
        var run: @Sendable (Database) throws -> Void
        var finish: @Sendable ((any Error)?) -> Void
    }

    private let pool: any DatabaseWriter
    private let state = Mutex<(pending: [Pending], draining: Bool)>(([], false))
    /// Commits block on the disk, so they run here rather than on an event loop or the concurrency pool.
    private let queue = DispatchQueue(label: "storage.sqlite.writer")

    init(pool: any DatabaseWriter) { self.pool = pool }

    func write<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let result = Mutex<Result<T, any Error>?>(nil)
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let pending = Pending(
                run: { db in
                    do {
                        let value = try work(db)
                        result.withLock { $0 = .success(value) }
                    } catch {
                        result.withLock { $0 = .failure(error) }
                        throw error
                    }
                },
                finish: { commitError in
                    if let commitError { return continuation.resume(throwing: commitError) }
                    continuation.resume(with: result.withLock { $0 } ?? .failure(CancellationError()))
                })
            let start = state.withLock { state in
                state.pending.append(pending)
                defer { state.draining = true }
                return !state.draining
            }
            if start { queue.async { self.drain() } }
        }
    }

    private func drain() {
        while true {
            let batch = state.withLock { state in
                defer { state.pending.removeAll() }
                if state.pending.isEmpty { state.draining = false }
                return state.pending
            }
            if batch.isEmpty { return }
            var commitError: (any Error)?
            do {
                try pool.writeWithoutTransaction { db in
                    try db.inTransaction(.immediate) {
                        for item in batch {
                            // A failed write rolls back its savepoint only; its error reaches its caller.
                            try? db.inSavepoint {
                                try item.run(db)
                                return .commit
                            }
                        }
                        return .commit
                    }
                }
            } catch {
                commitError = error
            }
            for item in batch { item.finish(commitError) }
        }
    }
}
