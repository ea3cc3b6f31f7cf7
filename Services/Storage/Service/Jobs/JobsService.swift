package import Contracts
package import Prometheus
package import RabbitMQ
internal import ServiceKit
package import RPCCore
internal import Synchronization

/// `clientanalyze.storage.v1.Jobs`: the embedded queue. The job record is the source of truth; workers lease
/// jobs for a visibility timeout and keep them with heartbeats; a lease that runs out makes the job visible
/// again (an attempt used); failures retry with backoff until the delivery limit, then the job is a dead
/// letter that an admin can replay or purge.
///
/// With a broker, `JobDispatcher` publishes due jobs and workers claim them by id (`Lease` with `job_id`);
/// the dead-letter admin (`JobsService+DeadLetters.swift`) then also shows and clears what RabbitMQ
/// dead-lettered. The gauges of the queue are `DepthGauges`.
package struct JobsService: Sendable {
    let store: any JobStore
    private let policy: @Sendable () -> JobRetryPolicy
    let now: @Sendable () -> Int64
    /// Wakes long polls, watches and the dispatcher when a job changes.
    let signal = ChangeSignal()
    /// Coalescing enqueues take turns: the look for a live twin and the insert must not interleave.
    private let coalescing = TurnGate()
    private let depthGauges: DepthGauges
    private let threadFor: (@Sendable (CommonV1.AnalysisRequest) async throws -> String)?
    let broker: BrokerPublisher?

    /// `threadFor` finds or creates the thread of the request's INN, whose id the job records: storage creates
    /// the job and, for a new INN, its thread, so no caller can make a job without one.
    package init(
        store: any JobStore, registry: PrometheusCollectorRegistry, policy: @escaping @Sendable () -> JobRetryPolicy,
        now: @escaping @Sendable () -> Int64, threadFor: (@Sendable (CommonV1.AnalysisRequest) async throws -> String)? = nil,
        broker: BrokerPublisher? = nil
    ) {
        self.store = store
        self.policy = policy
        self.now = now
        self.depthGauges = DepthGauges(registry: registry, broker: broker != nil)
        self.threadFor = threadFor
        self.broker = broker
    }

    private typealias Method = StorageV1.Jobs.Method

    package func register(in router: inout RPCRouter) {
        router.registerUnary(Method.Enqueue.self) { request, _ in ServerResponse(try await enqueue(request)) }
        router.registerUnary(Method.Lease.self) { request, _ in ServerResponse(try await lease(request)) }
        router.registerUnary(Method.Heartbeat.self) { request, _ in ServerResponse(try await heartbeat(request)) }
        router.registerUnary(Method.Complete.self) { request, _ in ServerResponse(try await complete(request)) }
        router.registerUnary(Method.Fail.self) { request, _ in ServerResponse(try await fail(request)) }
        router.registerUnary(Method.Release.self) { request, _ in ServerResponse(try await release(request)) }
        router.registerUnary(Method.Cancel.self) { request, _ in ServerResponse(try await cancel(request)) }
        router.registerUnary(Method.GetJob.self) { request, _ in ServerResponse(try await getJob(request)) }
        router.registerUnary(Method.ListJobs.self) { request, _ in ServerResponse(try await listJobs(request)) }
        router.registerUnary(Method.AppendProgress.self) { request, _ in ServerResponse(try await appendProgress(request)) }
        router.registerServerStreaming(Method.WatchJob.self) { request, writer, _ in
            try await watch(request) { try await writer.write($0) }
            return [:]
        }
        router.registerUnary(Method.ListDeadLetters.self) { request, _ in ServerResponse(try await listDeadLetters(request)) }
        router.registerUnary(Method.ReplayDeadLetters.self) { request, _ in ServerResponse(try await replayDeadLetters(request)) }
        router.registerUnary(Method.PurgeDeadLetters.self) { request, _ in ServerResponse(try await purgeDeadLetters(request)) }
        router.registerUnary(Method.QueueDepth.self) { _, _ in ServerResponse(try await depth()) }
    }

    package func complete(_ request: StorageV1.CompleteRequest) async throws -> StorageV1.CompleteResponse {
        let job = try await change(request.jobId, field: "job_id") { [now] in
            try $0.complete(worker: request.worker, reportID: request.reportId, now: now())
        }
        return .with { $0.job = job.job }
    }

    package func fail(_ request: StorageV1.FailRequest) async throws -> StorageV1.FailResponse {
        let policy = policy()
        let job = try await change(request.jobId, field: "job_id") { [now] in
            try $0.fail(worker: request.worker, error: request.error, retriable: request.retriable, now: now(), policy: policy)
        }
        return .with { $0.job = job.job }
    }

    package func release(_ request: StorageV1.ReleaseRequest) async throws -> StorageV1.ReleaseResponse {
        _ = try await change(request.jobId, field: "job_id") { [now] in try $0.release(worker: request.worker, now: now()) }
        return StorageV1.ReleaseResponse()
    }

    package func cancel(_ request: StorageV1.CancelJobRequest) async throws -> StorageV1.CancelJobResponse {
        let job = try await change(request.jobId, field: "job_id") { [now] in try $0.cancel(reason: request.reason, now: now()) }
        return .with { $0.job = job.job }
    }

    package func getJob(_ request: StorageV1.GetJobRequest) async throws -> StorageV1.GetJobResponse {
        guard let job = try await store.get(try Validate.nonEmpty(request.jobId, "job_id")) else { throw Self.notFound(request.jobId) }
        return .with { $0.job = job.job }
    }

    package func listJobs(_ request: StorageV1.ListJobsRequest) async throws -> StorageV1.ListJobsResponse {
        let page = try PageRequest(request.page, cursorPrefix: "j1.")
        let jobs = try await store.list(
            states: request.states, inn: request.inn.isEmpty ? nil : request.inn, after: page.after, limit: page.limit)
        return .with { response in
            response.jobs = jobs.prefix(page.size).map(\.job)
            response.page = .with { $0.nextCursor = page.nextCursor(jobs, key: \.id) }
        }
    }

    package func appendProgress(_ request: StorageV1.AppendProgressRequest) async throws -> StorageV1.AppendProgressResponse {
        let jobID = try Validate.nonEmpty(request.event?.jobId ?? "", "event.job_id")
        guard let stored = try await store.appendProgress(request.event ?? .init(), now: now()) else { throw Self.notFound(jobID) }
        signal.notifyAll()
        return .with { $0.sequence = stored.sequence }
    }

    /// The jobs of a deleted thread: ended ones are deleted with their progress, waiting ones cancelled and
    /// deleted; a running one is asked to stop and kept until its worker gives it up (it holds the lease).
    package func forgetThread(_ threadID: String, inn: String) async throws -> Int64 {
        var ended: [String] = []
        for job in try await allJobs(states: [], inn: inn) where job.job.threadId == threadID {
            let over = try await job.isFinal ? true : cancelled(job.id, reason: "its thread \(threadID) was deleted")
            if over { ended.append(job.id) }
        }
        return Int64(try await store.delete(ids: ended))
    }

    // MARK: Operations

    package func enqueue(_ request: StorageV1.EnqueueRequest) async throws -> StorageV1.EnqueueResponse {
        guard let analysis = request.request else { throw RPCError(.invalidArgument, "request: must be set") }
        _ = try Validate.inn(analysis.inn, "request.inn")
        guard request.idempotencyKey.utf8.count <= 256 else {
            throw RPCError(.invalidArgument, "idempotency_key: at most 256 bytes, got \(request.idempotencyKey.utf8.count)")
        }
        let time = now()
        let threadID = try await threadFor?(analysis) ?? ""
        let job = CommonV1.Job.with {
            $0.id = RecordID.make("j", now: time)
            $0.threadId = threadID
            $0.request = analysis
            $0.state = request.notBeforeMs > time ? .scheduled : .queued
            $0.stage = .queued
            $0.idempotencyKey = request.idempotencyKey
            $0.maxAttempts = policy().maxAttempts
            $0.notBeforeMs = max(request.notBeforeMs, time)
            $0.createdAtMs = time
            $0.updatedAtMs = time
            $0.submittedBy = request.submittedBy
            $0.labels = request.labels
        }
        let (stored, created): (QueuedJob, Bool)
        if request.coalesce {
            (stored, created) = try await coalescing.inTurn { [store] in
                if let twin = try await Self.liveTwin(of: analysis, in: store) { return (twin, false) }
                return try await store.enqueue(QueuedJob(job: job))
            }
        } else {
            (stored, created) = try await store.enqueue(QueuedJob(job: job))
        }
        if created { signal.notifyAll() }
        // A key names one request: retrying it returns its job, but a different request under it is refused
        // rather than answered with a job for something else (the IETF Idempotency-Key draft's conflict).
        if !created, stored.job.request != analysis {
            throw RPCError(.alreadyExists, "idempotency_key: \"\(request.idempotencyKey)\" was already used for a different request "
                + "(job \(stored.id), INN \(stored.job.request?.inn ?? "")); a new request needs a new key")
        }
        return .with {
            $0.job = stored.job
            $0.created = created
        }
    }

    package func lease(_ request: StorageV1.LeaseRequest) async throws -> StorageV1.LeaseResponse {
        let worker = try Validate.nonEmpty(request.worker, "worker")
        if !request.jobId.isEmpty { return try await claim(request.jobId, worker: worker, visibility: try Self.visibility(request.visibilityTimeoutMs)) }
        let count = request.maxJobs == 0 ? 1 : Int(request.maxJobs)
        guard (1...100).contains(count) else { throw RPCError(.invalidArgument, "max_jobs: must be from 1 to 100, got \(request.maxJobs)") }
        let visibility = try Self.visibility(request.visibilityTimeoutMs)
        guard (0...30_000).contains(request.waitMs) else { throw RPCError(.invalidArgument, "wait_ms: must be from 0 to 30000, got \(request.waitMs)") }
        let deadline = ContinuousClock.now + .milliseconds(request.waitMs)
        while true {
            // A caller that has gone (its stream was reset) must not be handed jobs it will never run.
            try Task.checkCancellation()
            let time = now()
            let jobs = try await store.takeDue(now: time, limit: count) { $0.lease(worker: worker, visibilityMs: visibility, now: time) }
            if !jobs.isEmpty || ContinuousClock.now >= deadline {
                return .with { $0.jobs = jobs.map(\.job) }
            }
            // Wake on a new job, or re-check soon for jobs whose backoff or lease ran out meanwhile.
            await signal.wait(timeout: min(deadline - ContinuousClock.now, .milliseconds(250)))
        }
    }

    /// The job a broker delivered, leased to `worker` if it is still queued; nothing if not (the delivery
    /// was a duplicate or stale) or if the job is gone.
    private func claim(_ id: String, worker: String, visibility: Int64) async throws -> StorageV1.LeaseResponse {
        struct NotClaimable: Error {}
        let time = now()
        do {
            guard let job = try await store.update(id, { job in
                guard job.claim(worker: worker, visibilityMs: visibility, now: time) else { throw NotClaimable() }
            }) else { return StorageV1.LeaseResponse() }
            return .with { $0.jobs = [job.job] }
        } catch is NotClaimable {
            return StorageV1.LeaseResponse()
        }
    }

    package func heartbeat(_ request: StorageV1.HeartbeatRequest) async throws -> StorageV1.HeartbeatResponse {
        let visibility = try Self.visibility(request.visibilityTimeoutMs)
        let time = now()
        let job = try await change(request.jobId, field: "job_id") { try $0.heartbeat(worker: request.worker, visibilityMs: visibility, now: time) }
        if var progress = request.progress {
            progress.jobId = job.id
            _ = try await store.appendProgress(progress, now: time)
            signal.notifyAll()
        }
        return .with {
            $0.leaseExpiresAtMs = job.job.leaseExpiresAtMs
            $0.cancelRequested = job.cancelRequested
        }
    }

    /// The history after `after_sequence`, then new events, until the job is final and every event is sent.
    package func watch(_ request: StorageV1.WatchJobRequest, send: (CommonV1.ProgressEvent) async throws -> Void) async throws {
        let id = try Validate.nonEmpty(request.jobId, "job_id")
        guard try await store.get(id) != nil else { throw Self.notFound(id) }
        var after = request.afterSequence
        var waitedForEnd = false
        while true {
            let final = try await store.get(id)?.isFinal ?? true
            var ended = false
            for event in try await store.progress(jobID: id, after: after) {
                try await send(event)
                after = event.sequence
                ended = [.completed, .failed, .cancelled].contains(event.stage)
            }
            // The closing event is written just after the job's final state: give it a moment once.
            if final && (ended || waitedForEnd) { return }
            if final { waitedForEnd = true }
            await signal.wait(timeout: .seconds(1))
            try Task.checkCancellation()
        }
    }

    package func depth() async throws -> StorageV1.QueueDepthResponse {
        let counts = try await store.countByState()
        let oldest = try await store.oldestWaitingCreatedAt(now: now())
        let age = oldest.map { max(0, now() - $0) } ?? 0
        depthGauges.update(counts, oldestWaitingAgeMs: age)
        // RabbitMQ's depths only feed the gauges: storage's own counts answer while the broker is away (the
        // readiness check reports that), and the gauges keep their last values meanwhile.
        if let broker, let (ready, dead) = try? await broker.depth() {
            depthGauges.updateBroker(ready: ready, dead: dead)
        }
        return .with { response in
            for state in DepthGauges.states { response.byState[DepthGauges.label(state)] = counts[state] ?? 0 }
            response.oldestQueuedAgeMs = age
        }
    }

    // MARK: Helpers

    /// A queued, retrying or running job with exactly this request (same INN, options, notes, client name).
    private static func liveTwin(of request: CommonV1.AnalysisRequest, in store: any JobStore) async throws -> QueuedJob? {
        try await store.list(states: [.queued, .retryWait, .running], inn: request.inn, after: nil, limit: 1000)
            .first { $0.job.request == request }
    }

    /// Applies a transition. A job it ends (completed, failed for good, dead, cancelled) gets its closing
    /// progress event, so watchers see how it ended; a repeated transition on an ended job adds none.
    func change(_ id: String, field: String, _ body: @escaping @Sendable (inout QueuedJob) throws -> Void) async throws -> QueuedJob {
        _ = try Validate.nonEmpty(id, field)
        let ended = Atomic<Bool>(false)
        guard let job = try await store.update(id, { job in
            let wasFinal = job.isFinal
            try body(&job)
            ended.store(!wasFinal && job.isFinal, ordering: .relaxed)
        }) else { throw Self.notFound(id) }
        if ended.load(ordering: .relaxed) { _ = try await store.appendProgress(job.closingEvent, now: now()) }
        signal.notifyAll()  // a job may be due again, or final (watchers end)
        return job
    }

    func targets(_ ids: [String], all: Bool) async throws -> [String] {
        guard all != !ids.isEmpty else { throw RPCError(.invalidArgument, "job_ids: give some ids or set all, not both or neither") }
        if !all { return ids }
        return try await allJobs(states: [.dead], inn: nil).map(\.id)
    }

    /// Cancels a job; true when it has ended (a waiting one at once, or one that ended meanwhile), false for a
    /// running one, which is only asked to stop.
    private func cancelled(_ id: String, reason: String) async throws -> Bool {
        do {
            return try await change(id, field: "job_id") { [now] in try $0.cancel(reason: reason, now: now()) }.isFinal
        } catch let error as RPCError where error.code == .failedPrecondition {
            return true
        }
    }

    /// Every job in these states (all with none) of `inn` (any with nil), read in pages of 1000.
    private func allJobs(states: [CommonV1.JobState], inn: String?) async throws -> [QueuedJob] {
        var found: [QueuedJob] = []
        var after: String?
        repeat {
            let batch = try await store.list(states: states, inn: inn, after: after, limit: 1000)
            found += batch
            after = batch.count == 1000 ? batch.last?.id : nil
        } while after != nil
        return found
    }


    private static func visibility(_ milliseconds: Int64) throws -> Int64 {
        let value = milliseconds == 0 ? 60_000 : milliseconds
        guard (1000...3_600_000).contains(value) else {
            throw RPCError(.invalidArgument, "visibility_timeout_ms: must be from 1000 to 3600000 (0: 60000), got \(milliseconds)")
        }
        return value
    }

    static func notFound(_ id: String) -> RPCError { RPCError(.notFound, "job \(id) not found") }
}
