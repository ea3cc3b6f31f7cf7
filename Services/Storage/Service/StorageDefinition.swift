package import ServiceKit
internal import Logging

/// `storage`: all state — threads, report versions and documents, feedback, cache, the embedded job queue.
/// Today it serves the cache (`clientanalyze.storage.v1.Cache`); the other services arrive with the rest of
/// the storage issue.
package enum StorageDefinition: ServiceDefinition {
    package typealias Settings = StorageSettings
    package static let name = "storage"
    package static let summary = "Client Analyze storage: threads, reports, feedback, cache and the job queue."
    package static let defaultPorts = (rpc: 50054, admin: 9094)
    package static let dependencies: [Dependency] = []

    package static func backends(_ configuration: ServiceConfiguration<StorageSettings>) -> [String: String] {
        ["storage": configuration.service.backend.rawValue]
    }

    package static func makeParts(context: ServiceContext<StorageSettings>) throws -> ServiceParts {
        let settings = context.configuration.current.service
        let cache: any CacheStore
        switch settings.backend {
        case .sqlite:
            let database = try SQLiteDatabase(path: settings.path)
            context.logger.notice("storage: SQLite database \(settings.path)")
            cache = SQLiteCacheStore(database: database)
        case .memory:
            context.logger.notice("storage: in memory; nothing survives a restart")
            cache = InMemoryCacheStore()
        }
        let statistics = CacheStatistics(registry: context.metrics.registry)
        let now: @Sendable () -> Int64 = { UnixTime.nowMilliseconds }
        let service = CacheService(
            store: cache, statistics: statistics, limits: .init(maxValueBytes: settings.cacheMaxValueBytes), now: now)
        let sweeper = CacheSweeper(
            store: cache, statistics: statistics, interval: { context.configuration.current.service.cacheCleanupInterval },
            now: now, logger: context.logger)
        return ServiceParts(register: { service.register(in: &$0) }, background: [sweeper])
    }
}
