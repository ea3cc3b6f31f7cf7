internal import Logging
internal import ServiceKit

/// Refreshes the `storage_jobs{state}` gauges every few seconds, so that alerts on queue and dead-letter
/// depth see the queue even when nobody asks for `QueueDepth`.
enum JobDepthMonitor {
    static func task(_ service: JobsService, interval: Duration = .seconds(5), logger: Logger) -> PeriodicTask {
        PeriodicTask(every: interval, failure: "cannot read the queue depth", logger: logger) { _ = try await service.depth() }
    }
}
