internal import Dispatch
internal import GRDB
internal import Synchronization

/// Group commit: writes that arrive while a commit is in progress wait and then go to disk together, in
/// one transaction and one fsync, each in its own savepoint so that one failing write fails alone. Under
/// concurrent load this multiplies durable writes per second; a lone write is committed at once.
final class WriteBatcher: Sendable {
    typealias Work = @Sendable (Database) throws -> Void

    private struct Pending {
        var work: Work
        var continuation: CheckedContinuation<Void, any Error>
    }

    private let pool: any DatabaseWriter
    private let state = Mutex<(pending: [Pending], draining: Bool)>(([], false))
    /// Commits block on the disk, so they run here rather than on an event loop or the concurrency pool.
    private let queue = DispatchQueue(label: "storage.sqlite.writer")

    init(pool: any DatabaseWriter) { self.pool = pool }

    func write(_ work: @escaping Work) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let start = state.withLock { state in
                state.pending.append(Pending(work: work, continuation: continuation))
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
            var results = [Result<Void, any Error>](repeating: .success(()), count: batch.count)
            do {
                try pool.writeWithoutTransaction { db in
                    try db.inTransaction(.immediate) {
                        for (index, item) in batch.enumerated() {
                            do {
                                try db.inSavepoint {
                                    try item.work(db)
                                    return .commit
                                }
                            } catch {
                                results[index] = .failure(error)
                            }
                        }
                        return .commit
                    }
                }
            } catch {
                results = results.map { _ in .failure(error) }
            }
            for (item, result) in zip(batch, results) { item.continuation.resume(with: result) }
        }
    }
}
