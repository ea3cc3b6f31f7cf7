package import Logging
internal import ServiceLifecycle

/// Deletes expired cache entries every `interval` (they are already invisible; this gives the space back).
package struct CacheSweeper: Service {
    private let store: any CacheStore
    private let statistics: CacheStatistics
    private let interval: @Sendable () -> Duration
    private let now: @Sendable () -> Int64
    private let logger: Logger

    package init(
        store: any CacheStore, statistics: CacheStatistics, interval: @escaping @Sendable () -> Duration,
        now: @escaping @Sendable () -> Int64, logger: Logger
    ) {
        self.store = store
        self.statistics = statistics
        self.interval = interval
        self.now = now
        self.logger = logger
    }

    package func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval())
                await sweep()
            }
        }
    }

    package func sweep() async {
        do {
            let removed = try await store.removeExpired(now: now())
            statistics.recordExpired(removed)
            if removed > 0 { logger.debug("removed expired cache entries", metadata: ["cache.removed": "\(removed)"]) }
        } catch {
            logger.warning("cache cleanup failed; will retry", metadata: ["error": "\(error)"])
        }
    }
}
