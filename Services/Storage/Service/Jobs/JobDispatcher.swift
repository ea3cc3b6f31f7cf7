internal import Contracts
package import Logging
package import Prometheus
package import RabbitMQ
internal import ServiceKit
package import ServiceLifecycle

/// With `features.queue_backend: rabbitmq`: publishes every due job's id to RabbitMQ, where workers consume
/// it and claim the job from storage. The job record stays the source of truth: a dispatched job stays
/// queued (owned by the broker) until a worker claims it, and is due — published — again if none does
/// within `redispatchAfter`. A publish the broker did not confirm is taken back at once and retried with
/// backoff, so a job recorded but never confirmed is published once the broker is back.
package struct JobDispatcher: Service {
    private let store: any JobStore
    private let publisher: BrokerPublisher
    private let signal: ChangeSignal
    private let redispatchAfter: @Sendable () -> Duration
    private let now: @Sendable () -> Int64
    private let logger: Logger
    private let published: Counter
    /// Jobs per publish: one confirmation round trip for the batch.
    private let batch = 100

    package init(
        store: any JobStore, publisher: BrokerPublisher, jobs: JobsService, redispatchAfter: @escaping @Sendable () -> Duration,
        now: @escaping @Sendable () -> Int64, registry: PrometheusCollectorRegistry, logger: Logger
    ) {
        self.store = store
        self.publisher = publisher
        self.signal = jobs.signal
        self.redispatchAfter = redispatchAfter
        self.now = now
        self.logger = logger
        published = registry.makeCounter(
            descriptor: .named("storage_jobs_published_total", help: "Job messages published to RabbitMQ and confirmed."))
    }

    package func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var failures = 0
            while !Task.isCancelled {
                do {
                    let count = try await dispatchDue()
                    failures = 0
                    if count == batch { continue }  // more may be due at once
                    // A new job wakes us; otherwise look again soon for retries and schedules come due.
                    await signal.wait(timeout: .milliseconds(250))
                } catch {
                    failures += 1
                    if failures == 1 || failures % 20 == 0 {
                        logger.warning("cannot publish jobs to RabbitMQ", metadata: ["error": "\(error)", "failures": "\(failures)"])
                    }
                    try await Task.sleep(for: .milliseconds(min(100 << min(failures - 1, 6), 5000)))
                }
            }
        }
    }

    /// Dispatches and publishes up to one batch of due jobs; returns how many.
    package func dispatchDue() async throws -> Int {
        let time = now()
        let redispatch = redispatchAfter().milliseconds
        let jobs = try await store.takeDue(now: time, limit: batch) { $0.dispatch(redispatchMs: redispatch, now: time) }
        guard !jobs.isEmpty else { return 0 }
        do {
            try await publisher.publish(batch: jobs.map { ($0.id, Array($0.id.utf8)) })
        } catch {
            // Not confirmed (some may have been stored: workers drop the duplicates): due again now.
            let undoAt = now()
            for job in jobs { _ = try? await store.update(job.id) { $0.undispatch(now: undoAt) } }
            throw error
        }
        published.increment(by: Int64(jobs.count))
        return jobs.count
    }
}
