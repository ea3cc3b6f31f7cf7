@testable import Analyzer
import Contracts
import Logging
import ProviderSandbox
import Testing

/// The job worker on the in-memory broker, with the real pipeline against the sandbox.
@Suite("Job worker")
struct WorkerTests {
    static func worker(
        _ base: String, queue: InMemoryJobQueue, reports: InMemoryReportStore, renderer: FakeRenderer = FakeRenderer(),
        visibility: Duration = .seconds(30), timeout: Duration = .seconds(5)
    ) -> JobWorker {
        var settings = WorkerSettings(name: "test-worker")
        settings.visibility = visibility
        settings.leaseWait = .milliseconds(20)
        let pipeline = AnalysisPipeline(
            collector: Collector(clients: CollectionTests.clients(base, timeout: timeout), cache: InMemoryProviderCache()), narrator: nil)
        let fixed = settings
        var logger = Logger(label: "worker-test")
        logger.logLevel = .critical  // failures are what several tests provoke; their outcome is asserted, not logged
        return JobWorker(pipeline: { pipeline }, queue: queue, reports: reports, renderer: renderer, settings: { fixed }, logger: logger)
    }

    static func lease(_ queue: InMemoryJobQueue) async throws -> CommonV1.Job {
        try #require(try await queue.lease(worker: "test-worker", max: 1, visibility: .seconds(30), wait: .zero).first)
    }

    @Test("a job runs to a stored report with its PDF, reporting progress at each stage")
    func happyPath() async throws {
        try await withSandbox { base in
            let (queue, reports) = (InMemoryJobQueue(), InMemoryReportStore())
            let id = queue.enqueue(.with { $0.inn = "5402987650" })
            await Self.worker(base, queue: queue, reports: reports).process(try await Self.lease(queue))
            let job = try #require(queue.job(id))
            #expect(job.state == .succeeded)
            let report = try #require(reports.reports.first)
            #expect(job.reportId == report.id)
            #expect(report.risk?.level == .critical)
            #expect(report.threadId == "t-5402987650")
            #expect(report.narrative?.author == .template)
            #expect(report.narrative?.summary.contains("СИБСТРОЙМОНТАЖ") == true)
            #expect(reports.document(report.id) == Array("%PDF-1.5 5402987650 v1".utf8))
            let stages = queue.progressEvents.map(\.stage)
            for stage in [CommonV1.Stage.started, .registries, .webSearch, .scoring, .narrative, .storing, .rendering] {
                #expect(stages.contains(stage), "\(stage)")
            }
            #expect(queue.progressEvents.contains { if case .source(let status)? = $0.detail { status.source == .casebook } else { false } })
        }
    }

    @Test("a redelivered job stores no second version")
    func redelivery() async throws {
        try await withSandbox { base in
            let (queue, reports) = (InMemoryJobQueue(), InMemoryReportStore())
            let id = queue.enqueue(.with { $0.inn = "7705123452" })
            // The first delivery stores the report, then rendering fails: the job goes back to the queue.
            let worker = Self.worker(base, queue: queue, reports: reports, renderer: FakeRenderer(failures: 1))
            await worker.process(try await Self.lease(queue))
            #expect(queue.job(id)?.state == .retryWait)
            await worker.process(try await Self.lease(queue))
            #expect(queue.job(id)?.state == .succeeded)
            #expect(reports.reports.count == 1)
            #expect(queue.job(id)?.attempts == 2)
        }
    }

    @Test("a job that keeps failing is dead-lettered at the delivery limit, with its reason")
    func deliveryLimit() async throws {
        try await withSandbox { base in
            let (queue, reports) = (InMemoryJobQueue(maxAttempts: 3), InMemoryReportStore())
            let id = queue.enqueue(.with { $0.inn = "7705123452" })
            let worker = Self.worker(base, queue: queue, reports: reports, renderer: FakeRenderer(failures: 10))
            for _ in 0..<3 { await worker.process(try await Self.lease(queue)) }
            #expect(queue.job(id)?.state == .dead)
            #expect(queue.job(id)?.error.contains("Failure") == true)
            #expect(worker.counts.failed == 3)
        }
    }

    @Test("a user's cancel stops the job at the next heartbeat")
    func cancel() async throws {
        try await withSandbox(SandboxBehaviour(latencyMilliseconds: [.dadata: 2_000])) { base in
            let (queue, reports) = (InMemoryJobQueue(), InMemoryReportStore())
            let id = queue.enqueue(.with { $0.inn = "7705123452" })
            queue.requestCancel(id)
            await Self.worker(base, queue: queue, reports: reports, visibility: .milliseconds(90)).process(try await Self.lease(queue))
            #expect(queue.job(id)?.state == .cancelled)
            #expect(reports.reports.isEmpty)
        }
    }

    @Test("shutting down mid-job releases the lease instead of failing the job")
    func shutdown() async throws {
        try await withSandbox(SandboxBehaviour(latencyMilliseconds: [.dadata: 3_000])) { base in
            let (queue, reports) = (InMemoryJobQueue(), InMemoryReportStore())
            let id = queue.enqueue(.with { $0.inn = "7705123452" })
            let worker = Self.worker(base, queue: queue, reports: reports)
            let running = Task { try await worker.run() }
            for _ in 0..<1000 where queue.job(id)?.state != .running { try await Task.sleep(for: .milliseconds(10)) }
            try #require(queue.job(id)?.state == .running, "the worker never leased the job")
            running.cancel()
            try await running.value
            #expect(queue.job(id)?.state == .queued)
            #expect(queue.job(id)?.leaseOwner == "")
            #expect(worker.counts.failed == 0)
            #expect(reports.reports.isEmpty)
        }
    }

    @Test("a feedback re-run writes version 2 linked to version 1, with the feedback and the differences")
    func feedbackRerun() async throws {
        try await withSandbox { base in
            let (queue, reports) = (InMemoryJobQueue(), InMemoryReportStore())
            let worker = Self.worker(base, queue: queue, reports: reports)
            queue.enqueue(.with { $0.inn = "7728456786" })
            await worker.process(try await Self.lease(queue))
            let first = try #require(reports.reports.first)
            queue.enqueue(.with {
                $0.inn = "7728456786"
                $0.parentReportId = first.id
                $0.feedback = .with {
                    $0.rating = .partiallyAccurate
                    $0.comment = "Проверьте лизинг"
                    $0.focusAreas = ["court"]
                    $0.refreshSources = [.casebook]
                }
                $0.options = .with { $0.sources = [.dadata, .infosphere, .tavily, .perplexity] }  // the court source drops out
            })
            await worker.process(try await Self.lease(queue))
            let second = try #require(reports.reports.last)
            #expect(second.version == 2)
            #expect(second.parentReportId == first.id)
            #expect(second.appliedFeedback?.comment == "Проверьте лизинг")
            let diff = try #require(second.diffFromParent)
            #expect(diff.baseReportId == first.id)
            #expect(diff.markerChanges.contains { $0.kind == .removed && $0.code == "legal.defendant_cases" })
            #expect(diff.sourceChanges.contains("casebook: ok → disabled"))
            #expect(diff.scoreAfter < diff.scoreBefore)
        }
    }
}
