package import Contracts
package import Tarantool

/// The job queue in Tarantool (`storage.backend: tarantool`): jobs and their events in the namespace's
/// `<namespace>_jobs` and `<namespace>_job_events` spaces. Transitions are computed here (by `QueuedJob`, as
/// for every backend) and saved compare-and-set on the row's version, so two storage processes sharing
/// the instance never both take a job; a lost race is re-read and applied again.
package struct TarantoolJobStore: JobStore {
    private let client: TarantoolClient
    private let namespace: String

    /// `due_at` of a job that is not due (final): after every real time (cla.lua's NEVER).
    static let never: Int64 = 9_007_199_254_740_991
    /// Compare-and-set attempts before giving up on a job that keeps changing underneath.
    static let attempts = 20

    package init(client: TarantoolClient, namespace: String) {
        self.client = client
        self.namespace = namespace
    }

    package func enqueue(_ job: QueuedJob) async throws -> (job: QueuedJob, created: Bool) {
        guard let result = try await call("jobs_enqueue", try Row(job, version: 0).tuple).first?.array, result.count == 2 else {
            throw TarantoolError.protocolViolation("jobs_enqueue answered without a job")
        }
        return (try Row(result[0]).job, result[1].bool ?? false)
    }

    package func get(_ id: String) async throws -> QueuedJob? {
        try await row(id)?.job
    }

    package func update(_ id: String, _ change: @escaping @Sendable (inout QueuedJob) throws -> Void) async throws -> QueuedJob? {
        for _ in 0..<Self.attempts {
            guard let current = try await row(id) else { return nil }
            var job = current.job
            try change(&job)
            if let saved = try await save(job, over: current) { return saved.job }
        }
        throw TarantoolError.unavailable("job \(id) kept changing while being updated")
    }

    package func takeDue(now: Int64, limit: Int, _ take: @escaping @Sendable (inout QueuedJob) -> Bool) async throws -> [QueuedJob] {
        var taken: [QueuedJob] = []
        var rounds = 0
        while taken.count < limit, rounds < Self.attempts {
            rounds += 1
            let due = try await call("jobs_due", .int(now), .uint(limit - taken.count)).first?.array ?? []
            if due.isEmpty { break }
            for value in due {
                let current = try Row(value)
                var job = current.job
                let wanted = take(&job)
                // Lost to another process: that one took or changed it; the next round sees what is left.
                guard let saved = try await save(job, over: current) else { continue }
                if wanted { taken.append(saved.job) }
            }
        }
        return taken
    }

    package func list(states: [CommonV1.JobState], inn: String?, after: String?, limit: Int) async throws -> [QueuedJob] {
        let rows = try await call(
            "jobs_list", .array(states.map { .uint($0.protoNumber) }), inn.map(MessagePack.string) ?? .null,
            after.map(MessagePack.string) ?? .null, .uint(limit)
        ).first?.array ?? []
        return try rows.map { try Row($0).job }
    }

    package func appendProgress(_ event: CommonV1.ProgressEvent, now: Int64) async throws -> CommonV1.ProgressEvent? {
        for _ in 0..<Self.attempts {
            guard let pair = try await call("jobs_get_for_event", .string(event.jobId)).first?.array, pair.count == 2 else { return nil }
            let current = try Row(pair[0])
            var stored = event
            stored.sequence = try field(pair[1].int)
            stored.atMs = now
            var job = current.job
            job.record(stored, now: now)
            let saved = try await call(
                "jobs_save_with_event", try Row(job, version: current.version).tuple, .int(current.version), .int(stored.sequence),
                .binary(try stored.serializedBytes()))
            if saved.first?.array != nil { return stored }
        }
        throw TarantoolError.unavailable("job \(event.jobId) kept changing while recording progress")
    }

    package func progress(jobID: String, after: Int64) async throws -> [CommonV1.ProgressEvent] {
        try (try await call("jobs_events", .string(jobID), .int(after)).first?.array ?? []).map { value in
            try CommonV1.ProgressEvent(serializedBytes: try field(value.bytes))
        }
    }

    package func countByState() async throws -> [CommonV1.JobState: Int64] {
        var counts: [CommonV1.JobState: Int64] = [:]
        for value in try await call("jobs_count_by_state").first?.array ?? [] {
            guard let pair = value.array, pair.count == 2 else { throw TarantoolError.protocolViolation("a state count of \(value)") }
            counts[CommonV1.JobState(protoNumber: Int32(try field(pair[0].int)))] = try field(pair[1].int)
        }
        return counts
    }

    package func oldestWaitingCreatedAt(now: Int64) async throws -> Int64? {
        let waiting: [CommonV1.JobState] = [.queued, .retryWait, .scheduled]
        return try await call(
            "jobs_oldest_created", .array(waiting.map { .uint($0.protoNumber) }), .uint(CommonV1.JobState.queued.protoNumber), .int(now)
        ).first?.int
    }

    package func delete(ids: [String]) async throws -> Int {
        Int(try await call("jobs_delete", .array(ids.map(MessagePack.string))).first?.int ?? 0)
    }

    // MARK: Rows

    /// A job as its tuple: `{id, version, state, inn, idempotency_key, due_at, created_at, record, errors,
    /// cancel_requested}`.
    struct Row {
        var job: QueuedJob
        var version: Int64

        init(_ job: QueuedJob, version: Int64) {
            self.job = job
            self.version = version
        }

        init(_ value: MessagePack) throws {
            guard let fields = value.array, fields.count == 10 else { throw TarantoolError.protocolViolation("a job tuple of \(value)") }
            version = try field(fields[1].int)
            job = QueuedJob(
                job: try CommonV1.Job(serializedBytes: try field(fields[7].bytes)),
                errors: try field(fields[8].array).map { try field($0.string) },
                cancelRequested: try field(fields[9].bool))
        }

        var tuple: MessagePack {
            get throws {
                .array([
                    .string(job.id), .int(version), .uint(job.state.protoNumber), .string(job.job.request?.inn ?? ""),
                    .string(job.job.idempotencyKey), .int(job.dueAtMs ?? TarantoolJobStore.never), .int(job.job.createdAtMs),
                    .binary(try job.job.serializedBytes()), .array(job.errors.map(MessagePack.string)), .bool(job.cancelRequested),
                ])
            }
        }
    }

    private func row(_ id: String) async throws -> Row? {
        guard let value = try await call("jobs_get", .string(id)).first, !value.isNull else { return nil }
        return try Row(value)
    }

    /// Saves `job` if its row is still at `current`'s version; nil when it is not.
    private func save(_ job: QueuedJob, over current: Row) async throws -> Row? {
        let saved = try await call("jobs_save", try Row(job, version: current.version).tuple, .int(current.version))
        guard let value = saved.first, !value.isNull else { return nil }
        return try Row(value)
    }

    private func call(_ function: String, _ arguments: MessagePack...) async throws -> [MessagePack] {
        try await client.call("cla." + function, [.string(namespace)] + arguments)
    }
}
