package import Logging
internal import ServiceLifecycle

/// Refreshes the `storage_jobs{state}` gauges every few seconds, so that alerts on queue and dead-letter
/// depth see the queue even when nobody asks for `QueueDepth`.
package struct JobDepthMonitor: Service {
    private let service: JobsService
    private let interval: Duration
    private let logger: Logger

    package init(service: JobsService, interval: Duration = .seconds(5), logger: Logger) {
        self.service = service
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await service.depth()
                } catch {
                    logger.warning("cannot read the queue depth", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
