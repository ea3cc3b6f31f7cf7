package import Contracts
package import Logging
package import Prometheus
package import ServiceLifecycle
internal import ServiceKit
internal import Synchronization

/// How the worker takes and runs jobs.
package struct WorkerSettings: Sendable, Equatable {
    /// Identifies this worker's leases, e.g. "analyzer-host-1234".
    package var name: String
    /// Jobs run at once.
    package var concurrency = 2
    /// A lease lasts this long without a heartbeat; heartbeats come three times per period.
    package var visibility: Duration = .seconds(30)
    /// Long-poll: how long a lease request waits for work.
    package var leaseWait: Duration = .seconds(5)
    /// Render and store the PDF unless the request says otherwise.
    package var renderPDF = true
    /// Search the web unless the request says otherwise.
    package var webSearch = true
    /// Let the LLM write the narrative (when one is configured) unless the request says otherwise.
    package var narrativeLLM = true

    package init(name: String) { self.name = name }

    /// `request` with the feature-flag defaults filled in where it says nothing itself.
    package func applyingDefaults(to request: CommonV1.AnalysisRequest) -> CommonV1.AnalysisRequest {
        var request = request
        var options = request.options ?? CommonV1.AnalysisOptions()
        options.webSearch = options.webSearch ?? webSearch
        options.narrativeLlm = options.narrativeLlm ?? narrativeLLM
        options.renderPdf = options.renderPdf ?? renderPDF
        request.options = options
        return request
    }
}

/// Consumes the job queue: leases up to `concurrency` jobs, runs each through the pipeline with heartbeats and
/// progress, stores the report (once per job, however often it is delivered), renders and stores its PDF, and
/// completes the job. A failure goes back to the queue, which retries with backoff and dead-letters after the
/// delivery limit; a user's cancel stops the job; on shutdown unfinished jobs are released, not failed.
package final class JobWorker: Service {
    private let pipeline: @Sendable () -> AnalysisPipeline
    private let currentSettings: @Sendable () -> WorkerSettings
    private let queue: any JobQueue
    private let reports: any ReportStore
    private let renderer: any PDFRenderer
    /// The current settings (feature-flag defaults included), also for the synchronous `Analyze` RPC.
    var settings: WorkerSettings { currentSettings() }
    private let logger: Logger
    private let registry: PrometheusCollectorRegistry?
    private let state = Mutex<Counts>(Counts())

    package struct Counts: Sendable {
        package var running: Set<String> = []
        package var completed: Int64 = 0
        package var failed: Int64 = 0
    }

    /// `pipeline` and `settings` are asked for each job, so a reloaded configuration applies to the next one.
    package init(
        pipeline: @escaping @Sendable () -> AnalysisPipeline, queue: any JobQueue, reports: any ReportStore, renderer: any PDFRenderer,
        settings: @escaping @Sendable () -> WorkerSettings, logger: Logger, registry: PrometheusCollectorRegistry? = nil
    ) {
        self.registry = registry
        self.pipeline = pipeline
        self.queue = queue
        self.reports = reports
        self.renderer = renderer
        self.currentSettings = settings
        self.logger = logger
    }

    package var counts: Counts { state.withLock { $0 } }
    package var concurrency: Int { settings.concurrency }

    package func run() async throws {
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                let free = settings.concurrency - state.withLock { $0.running.count }
                guard free > 0 else {
                    try? await Task.sleep(for: .milliseconds(50))
                    continue
                }
                let jobs: [CommonV1.Job]
                do {
                    jobs = try await cancelWhenGracefulShutdown {
                        try await self.queue.lease(worker: self.settings.name, max: free, visibility: self.settings.visibility, wait: self.settings.leaseWait)
                    }
                } catch {
                    if Task.isShuttingDownGracefully || Task.isCancelled { break }
                    logger.warning("worker: cannot lease jobs", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
                for job in jobs {
                    state.withLock { _ = $0.running.insert(job.id) }
                    group.addTask { await self.process(job) }
                }
            }
            // Shutting down: jobs still running give their leases back.
            group.cancelAll()
        }
    }

    enum Outcome: Sendable {
        case completed(reportID: String)
        case cancelledByUser
    }

    /// `analyzer_jobs_total{outcome}` (completed, failed, cancelled, released), `analyzer_job_duration_seconds`
    /// and `analyzer_jobs_running`.
    private func count(_ outcome: String, since start: ContinuousClock.Instant) {
        guard let registry else { return }
        registry.makeCounter(descriptor: .named("analyzer_jobs_total", help: "Jobs this analyzer ended, by outcome."), labels: [("outcome", outcome)])
            .increment()
        if outcome == "completed" {
            registry.makeDurationHistogram(
                descriptor: .named("analyzer_job_duration_seconds", help: "Time from lease to completion of a job."),
                buckets: [0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300].map { .nanoseconds(Int64($0 * 1e9)) }
            ).record(.now - start)
        }
    }

    private func updateRunningGauge() {
        registry?.makeGauge(descriptor: .named("analyzer_jobs_running", help: "Jobs this analyzer is running now."))
            .set(Int64(state.withLock { $0.running.count }))
    }

    /// Runs one job to its end, whatever happens.
    package func process(_ job: CommonV1.Job) async {
        let start = ContinuousClock.now
        updateRunningGauge()
        defer {
            state.withLock { _ = $0.running.remove(job.id) }
            updateRunningGauge()
        }
        var jobLogger = logger
        jobLogger[metadataKey: "job.id"] = "\(job.id)"
        let logger = jobLogger
        do {
            let outcome = try await withThrowingTaskGroup(of: Outcome?.self) { group in
                group.addTask { .completed(reportID: try await self.analyse(job, logger: logger)) }
                group.addTask {
                    // Heartbeats until the analysis ends; a cancel request ends the job.
                    while !Task.isCancelled {
                        try await Task.sleep(for: self.settings.visibility / 3)
                        if try await self.queue.heartbeat(jobID: job.id, worker: self.settings.name, visibility: self.settings.visibility) {
                            return .cancelledByUser
                        }
                    }
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
            switch outcome {
            case .completed(let reportID)?:
                try await queue.complete(jobID: job.id, worker: settings.name, reportID: reportID)
                state.withLock { $0.completed += 1 }
                count("completed", since: start)
                logger.info("worker: job completed", metadata: ["report.id": "\(reportID)"])
            case nil:
                // Neither finished: this task was cancelled (shutdown).
                throw CancellationError()
            case .cancelledByUser?:
                _ = try? await queue.fail(jobID: job.id, worker: settings.name, error: "отменено пользователем", retriable: false)
                count("cancelled", since: start)
                logger.info("worker: job cancelled by its user")
            }
        } catch where Task.isCancelled {
            try? await queue.release(jobID: job.id, worker: settings.name)
            count("released", since: start)
            logger.notice("worker: job released at shutdown")
        } catch {
            state.withLock { $0.failed += 1 }
            count("failed", since: start)
            let after = try? await queue.fail(jobID: job.id, worker: settings.name, error: "\(error)", retriable: true)
            logger.warning("worker: job failed", metadata: ["error": "\(error)", "job.state": "\(after?.state.protoName ?? "unknown")"])
        }
    }

    /// Collect, score, write, store, render: the report's id.
    private func analyse(_ job: CommonV1.Job, logger: Logger) async throws -> String {
        let request = settings.applyingDefaults(to: job.request ?? CommonV1.AnalysisRequest())
        let progress: Collector.Progress = { stage, percent, message, source in
            try? await self.queue.progress(.with {
                $0.jobId = job.id
                $0.stage = stage
                $0.percent = percent
                $0.message = message
                if let source { $0.detail = .source(source) }
            })
        }
        await progress(.started, 5, "Анализ начат (попытка \(job.attempts))", nil)
        let parent = request.parentReportId.isEmpty ? nil : try await reports.report(id: request.parentReportId)
        var report = await pipeline().run(request, jobID: job.id, parent: parent, progress: progress)
        try Task.checkCancellation()
        report.threadId = job.threadId
        await progress(.storing, 90, "Сохраняем отчёт", nil)
        let stored = try await reports.put(report, jobID: job.id)
        if request.options?.renderPdf ?? true {
            await progress(.rendering, 95, "Формируем PDF", nil)
            let pdf = try await renderer.pdf(stored)
            try await reports.putDocument(reportID: stored.id, format: "pdf", contentType: "application/pdf", data: pdf)
        }
        return stored.id
    }
}
