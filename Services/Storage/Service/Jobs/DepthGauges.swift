internal import Contracts
internal import Prometheus
internal import ServiceKit

/// `storage_jobs{state}`: jobs per state, refreshed by `QueueDepth` and the depth monitor.
struct DepthGauges: Sendable {
    static let states: [CommonV1.JobState] = [.queued, .scheduled, .running, .retryWait, .succeeded, .failed, .cancelled, .dead]
    private let registry: PrometheusCollectorRegistry

    init(registry: PrometheusCollectorRegistry, broker: Bool) {
        self.registry = registry
        if broker { updateBroker(ready: 0, dead: 0) }
    }

    /// `storage_broker_messages{queue="jobs|dead"}`: messages ready in RabbitMQ's job queue and its
    /// dead-letter queue (the DLQ alert's series).
    func updateBroker(ready: Int, dead: Int) {
        for (queue, count) in [("jobs", ready), ("dead", dead)] {
            registry.makeGauge(
                descriptor: .named("storage_broker_messages", help: "Messages ready in RabbitMQ's job queue (jobs) and dead-letter queue (dead)."),
                labels: [("queue", queue)]
            ).set(to: Double(count))
        }
    }

    /// `storage_jobs{state}` and `storage_jobs_oldest_waiting_age_seconds` (0 when nothing waits): the queue-age
    /// alert's series.
    func update(_ counts: [CommonV1.JobState: Int64], oldestWaitingAgeMs: Int64) {
        for state in Self.states {
            registry.makeGauge(descriptor: .named("storage_jobs", help: "Jobs in the embedded queue by state."), labels: [("state", Self.label(state))])
                .set(to: Double(counts[state] ?? 0))
        }
        registry.makeGauge(
            descriptor: .named(
                "storage_jobs_oldest_waiting_age_seconds",
                help: "Age since creation of the oldest job that may run now (queued, or retrying or scheduled with its time come); 0 when none.")
        ).set(to: Double(oldestWaitingAgeMs) / 1000)
    }

    /// `queued`, `retry_wait`, … from `JOB_STATE_QUEUED`, …
    static func label(_ state: CommonV1.JobState) -> String { ProtoLabel.of(state.protoName, prefix: "JOB_STATE_") }
}
