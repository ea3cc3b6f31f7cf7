import Contracts
import Foundation
import Prometheus
import RPCCore
import Storage
import Tarantool
import Synchronization
import Testing

/// The embedded queue's behaviour through `JobsService`, on every backend, with a clock the test moves.
@Suite("Job queue conformance")
struct JobStoreConformanceTests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case memory
        case sqlite
        case tarantool

        var testDescription: String { rawValue }

        func make() async throws -> any JobStore {
            switch self {
            case .memory: InMemoryJobStore()
            case .sqlite:
                SQLiteJobStore(database: try SQLiteDatabase(
                    path: FileManager.default.temporaryDirectory.appendingPathComponent("cla-jobs-\(UUID().uuidString)/s.sqlite").path))
            case .tarantool:
                try await TarantoolServer.store { TarantoolJobStore(client: $0, namespace: $1) }
            }
        }
    }

    /// Sequence numbers seen by a watch running in another task.
    final class Sequences: Sendable {
        private let value = Mutex<[Int64]>([])
        func withLock<T>(_ body: (inout [Int64]) -> T) -> T { value.withLock { body(&$0) } }
    }

    struct Queue: Sendable {
        let clock = ManualClock()
        let service: JobsService
        let store: any JobStore

        init(_ backend: Backend, maxAttempts: Int32 = 3) async throws {
            var policy = JobRetryPolicy()
            policy.maxAttempts = maxAttempts
            policy.backoff = .seconds(2)
            policy.maxBackoff = .seconds(5)
            let clock = self.clock
            let fixed = policy
            store = try await backend.make()
            service = JobsService(store: store, registry: PrometheusCollectorRegistry(), policy: { fixed }, now: { clock.now })
        }

        /// What `JobDispatcher` does before it publishes: hands the due jobs to the broker.
        func dispatch(redispatchMs: Int64 = 60_000) async throws -> [QueuedJob] {
            let now = clock.now
            return try await store.takeDue(now: now, limit: 10) { $0.dispatch(redispatchMs: redispatchMs, now: now) }
        }

        /// A worker claiming the job a broker message named.
        func claim(_ id: String, _ worker: String = "w1") async throws -> [CommonV1.Job] {
            try await service.lease(.with {
                $0.worker = worker
                $0.jobId = id
                $0.visibilityTimeoutMs = 10_000
            }).jobs
        }

        func enqueue(_ inn: String = "7707083893", key: String = "") async throws -> StorageV1.EnqueueResponse {
            try await service.enqueue(.with {
                $0.request = .with { $0.inn = inn }
                $0.idempotencyKey = key
            })
        }

        func lease(_ worker: String = "w1", max: Int32 = 1, visibility: Int64 = 10_000) async throws -> [CommonV1.Job] {
            try await service.lease(.with {
                $0.worker = worker
                $0.maxJobs = max
                $0.visibilityTimeoutMs = visibility
            }).jobs
        }
    }

    @Test("enqueue with an idempotency key returns the same job the second time", arguments: Backend.allCases)
    func idempotentEnqueue(backend: Backend) async throws {
        let queue = try await Queue(backend)
        let first = try await queue.enqueue(key: "req-1")
        let again = try await queue.enqueue(key: "req-1")
        let other = try await queue.enqueue(key: "req-2")
        #expect(first.created && !again.created && other.created)
        #expect(first.job?.id == again.job?.id && first.job?.id != other.job?.id)
        #expect(first.job?.state == .queued && first.job?.maxAttempts == 3)

        let reused = await #expect(throws: RPCError.self) { try await queue.enqueue("7705123452", key: "req-1") }
        #expect(reused?.code == .alreadyExists)
        #expect(reused?.message.contains("\"req-1\" was already used for a different request (job \(first.job?.id ?? "?")") == true)
    }

    @Test("with a broker: a dispatched job waits queued until one worker claims it, and is dispatched again only after the redispatch time", arguments: Backend.allCases)
    func dispatchAndClaim(backend: Backend) async throws {
        let queue = try await Queue(backend)
        let id = try #require(try await queue.enqueue().job?.id)
        let dispatched = try await queue.dispatch()
        #expect(dispatched.map(\.id) == [id])
        #expect(dispatched.first?.state == .queued && dispatched.first?.job.leaseOwner == QueuedJob.broker)
        // Handed to the broker: not due for another dispatch, nor for a worker's lease.
        #expect(try await queue.dispatch().isEmpty)
        #expect(try await queue.lease().isEmpty)

        let claimed = try await queue.claim(id, "w1")
        #expect(claimed.map(\.id) == [id])
        #expect(claimed.first?.state == .running && claimed.first?.leaseOwner == "w1" && claimed.first?.attempts == 1)
        #expect(try await queue.claim(id, "w2").isEmpty)  // a duplicate message: nothing to run
        #expect(try await queue.claim("j-none", "w2").isEmpty)  // a message for a purged job
        _ = try await queue.service.complete(jobID: id, worker: "w1", reportID: "r1")
        #expect(try await queue.claim(id, "w2").isEmpty)

        // Not confirmed by the broker: due again at once. Confirmed but never claimed: again after the time.
        let second = try #require(try await queue.enqueue().job?.id)
        #expect(try await queue.dispatch().map(\.id) == [second])
        _ = try await queue.store.update(second) { [clock = queue.clock] in $0.undispatch(now: clock.now) }
        #expect(try await queue.dispatch().map(\.id) == [second])
        queue.clock.advance(by: 59_000)
        #expect(try await queue.dispatch().isEmpty)
        queue.clock.advance(by: 1_000)
        #expect(try await queue.dispatch().map(\.id) == [second])
        #expect(try await queue.service.job(second).attempts == 0)  // dispatching is no attempt

        // Cancelled while its message waits in the broker: the claim finds nothing.
        #expect(try await queue.service.cancel(second).state == .cancelled)
        #expect(try await queue.claim(second).isEmpty)
    }

    @Test("with a broker: a claimed job whose lease runs out is dispatched again as a failed attempt, and dead-lettered after the last", arguments: Backend.allCases)
    func dispatchAfterExpiredLease(backend: Backend) async throws {
        let queue = try await Queue(backend, maxAttempts: 2)
        let id = try #require(try await queue.enqueue().job?.id)
        for attempt in 1...2 {
            #expect(try await queue.dispatch().map(\.id) == [id])
            #expect(try await queue.claim(id, "crashing").first?.attempts == Int32(attempt))
            queue.clock.advance(by: 10_001)  // the worker died: no heartbeat
        }
        #expect(try await queue.dispatch().isEmpty)  // the second expiry used the last attempt
        let job = try await queue.service.job(id)
        #expect(job.state == .dead && job.error.contains("lease of crashing expired"))
    }

    @Test("lease, heartbeat, complete: a leased job is invisible to others until done", arguments: Backend.allCases)
    func happyPath(backend: Backend) async throws {
        let queue = try await Queue(backend)
        let id = try #require(try await queue.enqueue().job?.id)
        let leased = try await queue.lease("w1")
        #expect(leased.map(\.id) == [id] && leased.first?.state == .running && leased.first?.attempts == 1)
        #expect(try await queue.lease("w2").isEmpty)

        queue.clock.advance(by: 9_000)
        let beat = try await queue.service.heartbeat(.with { $0.jobId = id; $0.worker = "w1"; $0.visibilityTimeoutMs = 10_000 })
        #expect(beat.leaseExpiresAtMs == queue.clock.now + 10_000 && !beat.cancelRequested)
        queue.clock.advance(by: 9_000)  // past the first lease, within the extended one
        #expect(try await queue.lease("w2").isEmpty)

        let stranger = await #expect(throws: RPCError.self) {
            try await queue.service.heartbeat(.with { $0.jobId = id; $0.worker = "w2" })
        }
        #expect(stranger?.code == .failedPrecondition)
        // Completing through the RPC layer, twice: idempotent.
        var router = RPCRouter()
        queue.service.register(in: &router)
        let done = try await Self.complete(queue, id: id, worker: "w1", report: "r1")
        #expect(done.state == .succeeded && done.reportId == "r1" && done.percent == 100)
        #expect(try await Self.complete(queue, id: id, worker: "w1", report: "r1") == done)
    }

    @Test("an expired lease makes the job visible again; with no attempts left it is dead-lettered", arguments: Backend.allCases)
    func leaseExpiry(backend: Backend) async throws {
        let queue = try await Queue(backend, maxAttempts: 2)
        let id = try #require(try await queue.enqueue().job?.id)
        _ = try await queue.lease("w1", visibility: 5_000)
        queue.clock.advance(by: 5_000)
        let redelivered = try await queue.lease("w2", visibility: 5_000)
        #expect(redelivered.first?.id == id && redelivered.first?.attempts == 2 && redelivered.first?.leaseOwner == "w2")
        queue.clock.advance(by: 5_000)
        #expect(try await queue.lease("w3").isEmpty)
        let dead = try await Self.deadLetters(queue)
        #expect(dead.map(\.jobId) == [id])
        #expect(dead.first?.errors.count == 2 && dead.first?.reason.contains("expired") == true)
    }

    @Test("failures retry with backoff up to the delivery limit, then dead letter, replay and purge", arguments: Backend.allCases)
    func retriesAndDeadLetters(backend: Backend) async throws {
        let queue = try await Queue(backend, maxAttempts: 3)
        let id = try #require(try await queue.enqueue().job?.id)
        for attempt in 1...3 {
            let leased = try await queue.lease()
            #expect(leased.first?.id == id && leased.first?.attempts == Int32(attempt))
            let failed = try await queue.service.fail(jobID: id, worker: "w1", error: "timeout \(attempt)", retriable: true)
            if attempt < 3 {
                #expect(failed.state == .retryWait)
                let backoff: Int64 = attempt == 1 ? 2_000 : 4_000
                #expect(failed.notBeforeMs == queue.clock.now + backoff)
                #expect(try await queue.lease().isEmpty)  // not before the backoff
                queue.clock.advance(by: backoff)
            } else {
                #expect(failed.state == .dead && failed.error.contains("timeout 3"))
            }
        }
        let dead = try await Self.deadLetters(queue)
        #expect(dead.first?.errors == ["timeout 1", "timeout 2", "timeout 3"])

        let replayed = try await queue.service.replay([id])
        #expect(replayed.first?.state == .queued && replayed.first?.attempts == 0)
        #expect(try await queue.lease().first?.id == id)
        _ = try await queue.service.fail(jobID: id, worker: "w1", error: "bad input", retriable: false)
        #expect(try await queue.service.job(id).state == .failed)  // not retriable: failed at once, not dead

        let second = try #require(try await queue.enqueue(key: "k2").job?.id)
        for _ in 1...3 {
            _ = try await queue.lease()
            _ = try await queue.service.fail(jobID: second, worker: "w1", error: "x", retriable: true)
            queue.clock.advance(by: 10_000)
        }
        #expect(try await queue.service.purge([id]) == nil)  // a failed job is not a dead letter: refused
        #expect(try await queue.service.purge([second]) == 1)
        #expect(try await Self.deadLetters(queue).isEmpty)
    }

    @Test("release gives a job back without using an attempt; cancel stops waiting and running jobs", arguments: Backend.allCases)
    func releaseAndCancel(backend: Backend) async throws {
        let queue = try await Queue(backend)
        let id = try #require(try await queue.enqueue().job?.id)
        _ = try await queue.lease()
        try await queue.service.release(jobID: id, worker: "w1")
        let again = try await queue.lease("w2")
        #expect(again.first?.attempts == 1)

        let cancelled = try await queue.service.cancel(id)
        #expect(cancelled.state == .running && cancelled.cancelRequested)  // running: asked to stop, and says so
        #expect(try await queue.service.cancel(id).state == .running)  // asking again changes nothing
        #expect(try await queue.service.job(id).stage != .failed)  // not ended yet: no closing event
        let beat = try await queue.service.heartbeat(.with { $0.jobId = id; $0.worker = "w2" })
        #expect(beat.cancelRequested)
        _ = try await queue.service.fail(jobID: id, worker: "w2", error: "stopped on request", retriable: true)
        #expect(try await queue.service.job(id).state == .cancelled)
        let late = await #expect(throws: RPCError.self) { try await queue.service.cancel(id) }  // ended: refused
        #expect(late?.code == .failedPrecondition && late?.message.contains("JOB_STATE_CANCELLED") == true)
        #expect(try await Self.events(queue, id).map(\.stage) == [.cancelled])  // and nothing more to say

        let waiting = try #require(try await queue.enqueue(key: "w").job?.id)
        #expect(try await queue.service.cancel(waiting).state == .cancelled)
        #expect(try await Self.events(queue, waiting).map(\.stage) == [.cancelled])
        #expect(try await queue.lease().isEmpty)
    }

    /// The progress history of an ended job.
    static func events(_ queue: Queue, _ id: String) async throws -> [CommonV1.ProgressEvent] {
        let events = Events([])
        try await queue.service.watch(.with { $0.jobId = id }) { event in events.withLock { $0.append(event) } }
        return events.withLock { $0 }
    }

    typealias Events = Mutex<[CommonV1.ProgressEvent]>

    @Test("progress: events get sequence numbers, update the job, and a watch replays then follows to the end", arguments: Backend.allCases)
    func progressAndWatch(backend: Backend) async throws {
        let queue = try await Queue(backend)
        let id = try #require(try await queue.enqueue().job?.id)
        _ = try await queue.lease()
        for (stage, percent) in [(CommonV1.Stage.registries, Int32(20)), (.scoring, 60)] {
            _ = try await queue.service.appendProgress(.with { $0.jobId = id; $0.stage = stage; $0.percent = percent })
        }
        #expect(try await queue.service.job(id).percent == 60)

        let seen = Sequences()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await queue.service.watch(.with { $0.jobId = id; $0.afterSequence = 1 }) { event in
                    seen.withLock { $0.append(event.sequence) }
                }
            }
            // Wait until the history (sequence 2) is out, then add one more and finish the job.
            while seen.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(5)) }
            _ = try await queue.service.appendProgress(.with { $0.jobId = id; $0.stage = .storing; $0.percent = 90 })
            _ = try await Self.complete(queue, id: id, worker: "w1", report: "r")
            try await group.waitForAll()
        }
        // 4 is the closing event storage writes when the job completes.
        #expect(seen.withLock { $0 } == [2, 3, 4])
        let events = try await Self.events(queue, id).filter { $0.sequence > 3 }
        #expect(events.map(\.stage) == [.completed] && events.first?.detail == .reportId("r") && events.first?.percent == 100)
    }

    @Test("list filters by state and INN and pages by id; depth counts by state", arguments: Backend.allCases)
    func listAndDepth(backend: Backend) async throws {
        let queue = try await Queue(backend)
        for i in 0..<5 { _ = try await queue.enqueue(i % 2 == 0 ? "7707083893" : "500100732259") ; queue.clock.advance(by: 1) }
        _ = try await queue.lease(max: 2)
        let running = try await queue.service.list(states: [.running], inn: nil)
        #expect(running.count == 2)
        let byINN = try await queue.service.list(states: [], inn: "500100732259")
        #expect(byINN.count == 2)
        var ids: [String] = []
        var cursor = ""
        repeat {
            let page = try await queue.service.listPage(size: 2, cursor: cursor)
            ids += page.jobs.map(\.id)
            cursor = page.page?.nextCursor ?? ""
        } while !cursor.isEmpty
        #expect(ids.count == 5 && ids == ids.sorted())
        let depth = try await queue.service.depth()
        #expect(depth.byState["queued"] == 3 && depth.byState["running"] == 2 && depth.byState["dead"] == 0)
        #expect(depth.oldestQueuedAgeMs > 0)
    }

    @Test("the queue's age counts jobs that may run: a job scheduled for later is not late until its time", arguments: Backend.allCases)
    func queueAge(backend: Backend) async throws {
        let queue = try await Queue(backend)
        let created = queue.clock.now
        _ = try await queue.service.enqueue(.with { $0.request = .with { $0.inn = "7707083893" }; $0.notBeforeMs = created + 60_000 })
        queue.clock.advance(by: 30_000)
        #expect(try await queue.service.depth().oldestQueuedAgeMs == 0)  // scheduled, not due: nothing waits late
        queue.clock.advance(by: 40_000)
        #expect(try await queue.service.depth().oldestQueuedAgeMs == 70_000)  // due since 10 s, waiting since creation
        _ = try await queue.enqueue("500100732259")
        _ = try await queue.lease(max: 2)
        #expect(try await queue.service.depth().oldestQueuedAgeMs == 0)
    }

    @Test("bad input names the field", arguments: Backend.allCases)
    func badInput(backend: Backend) async throws {
        let queue = try await Queue(backend)
        for (body, message) in [
            ({ _ = try await queue.enqueue("123") }, "request.inn: must be 10 or 12 digits"),
            ({ _ = try await queue.lease("") }, "worker: must not be empty"),
            ({ _ = try await queue.lease(max: 101) }, "max_jobs: must be from 1 to 100"),
            ({ _ = try await queue.lease(visibility: 10) }, "visibility_timeout_ms: must be from 1000"),
            ({ _ = try await queue.service.job("nope") }, "job nope not found"),
        ] as [(() async throws -> Void, String)] {
            let error = await #expect(throws: RPCError.self) { try await body() }
            #expect(error?.message.hasPrefix(message) == true, "\(String(describing: error))")
        }
    }

    // MARK: Calls through the router, as a client makes them

    static func complete(_ queue: Queue, id: String, worker: String, report: String) async throws -> CommonV1.Job {
        try await queue.service.complete(jobID: id, worker: worker, reportID: report)
    }

    static func deadLetters(_ queue: Queue) async throws -> [CommonV1.DeadLetter] {
        try await queue.service.deadLetters()
    }
}
