package import Logging
internal import ServiceLifecycle

/// A background job that runs `body` every `interval` until graceful shutdown. A failing run is logged as a
/// warning (`failure` says what could not be done) and the next run tries again.
package struct PeriodicTask: Service {
    private let failure: String
    private let interval: Duration
    private let logger: Logger
    private let body: @Sendable () async throws -> Void

    package init(every interval: Duration, failure: String, logger: Logger, _ body: @escaping @Sendable () async throws -> Void) {
        self.failure = failure
        self.interval = interval
        self.logger = logger
        self.body = body
    }

    package func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await body()
                } catch {
                    logger.warning("\(failure)", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
