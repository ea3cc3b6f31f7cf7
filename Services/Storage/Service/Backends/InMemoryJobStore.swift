package import Contracts
internal import Synchronization

/// The job queue in memory, for tests and `storage.backend: memory`.
package final class InMemoryJobStore: JobStore {
    private struct State {
        var jobs: [String: QueuedJob] = [:]
        var byIdempotencyKey: [String: String] = [:]
        var events: [String: [CommonV1.ProgressEvent]] = [:]
    }

    private let state = Mutex(State())

    package init() {}

    package func enqueue(_ job: QueuedJob) async throws -> (job: QueuedJob, created: Bool) {
        state.withLock { state in
            let key = job.job.idempotencyKey
            if !key.isEmpty, let existing = state.byIdempotencyKey[key].flatMap({ state.jobs[$0] }) { return (existing, false) }
            state.jobs[job.id] = job
            if !key.isEmpty { state.byIdempotencyKey[key] = job.id }
            return (job, true)
        }
    }

    package func get(_ id: String) async throws -> QueuedJob? { state.withLock { $0.jobs[id] } }

    package func update(_ id: String, _ change: @escaping @Sendable (inout QueuedJob) throws -> Void) async throws -> QueuedJob? {
        try state.withLock { state in
            guard var job = state.jobs[id] else { return nil }
            try change(&job)
            state.jobs[id] = job
            return job
        }
    }

    package func takeDue(now: Int64, limit: Int, _ take: @escaping @Sendable (inout QueuedJob) -> Bool) async throws -> [QueuedJob] {
        state.withLock { state in
            let due = state.jobs.values.compactMap { job in job.dueAtMs.flatMap { $0 <= now ? (job.id, $0) : nil } }
                .sorted { ($0.1, $0.0) < ($1.1, $1.0) }
            var taken: [QueuedJob] = []
            for (id, _) in due where taken.count < limit {
                guard var job = state.jobs[id] else { continue }
                let took = take(&job)
                state.jobs[id] = job
                if took { taken.append(job) }
            }
            return taken
        }
    }

    package func list(states: [CommonV1.JobState], inn: String?, after: String?, limit: Int) async throws -> [QueuedJob] {
        let all = state.withLock { Array($0.jobs.values) }
        return all.filter { job in
            (states.isEmpty || states.contains(job.state)) && (inn.map { job.job.request?.inn == $0 } ?? true)
                && (after.map { job.id > $0 } ?? true)
        }.sorted { $0.id < $1.id }.prefix(limit).map { $0 }
    }

    package func appendProgress(_ event: CommonV1.ProgressEvent, now: Int64) async throws -> CommonV1.ProgressEvent? {
        state.withLock { state in
            guard var job = state.jobs[event.jobId] else { return nil }
            var stored = event
            stored.sequence = Int64(state.events[event.jobId, default: []].count + 1)
            stored.atMs = now
            state.events[event.jobId, default: []].append(stored)
            job.record(stored, now: now)
            state.jobs[job.id] = job
            return stored
        }
    }

    package func progress(jobID: String, after: Int64) async throws -> [CommonV1.ProgressEvent] {
        state.withLock { ($0.events[jobID] ?? []).filter { $0.sequence > after } }
    }

    package func countByState() async throws -> [CommonV1.JobState: Int64] {
        state.withLock { state in
            var counts: [CommonV1.JobState: Int64] = [:]
            for job in state.jobs.values { counts[job.state, default: 0] += 1 }
            return counts
        }
    }

    package func oldestWaitingCreatedAt(now: Int64) async throws -> Int64? {
        state.withLock { state in
            state.jobs.values.filter { job in
                job.state == .queued || ([.retryWait, .scheduled].contains(job.state) && (job.dueAtMs ?? .max) <= now)
            }.map(\.job.createdAtMs).min()
        }
    }

    package func delete(ids: [String]) async throws -> Int {
        state.withLock { state in
            var deleted = 0
            for id in ids {
                guard let job = state.jobs.removeValue(forKey: id) else { continue }
                deleted += 1
                state.events.removeValue(forKey: id)
                if !job.job.idempotencyKey.isEmpty { state.byIdempotencyKey.removeValue(forKey: job.job.idempotencyKey) }
            }
            return deleted
        }
    }
}
