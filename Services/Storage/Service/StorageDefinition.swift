package import ServiceKit
internal import Contracts
internal import Logging
internal import RabbitMQ
internal import ServiceLifecycle
internal import Tarantool

/// `storage`: all state — threads, report versions and documents, feedback, cache, the embedded job queue,
/// and access records (API keys, audit), all in SQLite, in memory or in Tarantool (`storage.backend`). With
/// `features.queue_backend: rabbitmq` due jobs are also published to RabbitMQ, whose consumers claim them here.
package enum StorageDefinition: ServiceDefinition {
    package typealias Settings = StorageSettings
    package static let name = "storage"
    package static let summary = "Client Analyze storage: threads, reports, feedback, cache and the job queue."
    package static let defaultPorts = (rpc: 50054, admin: 9094)
    package static let dependencies: [Dependency] = []

    package static func backends(_ configuration: ServiceConfiguration<StorageSettings>) -> [String: String] {
        let backend = configuration.service.backend
        return [
            "storage": backend.rawValue, "cache": backend.rawValue, "jobs": backend.rawValue,
            "records": backend.rawValue, "queue": configuration.chassis.features.queueBackend.rawValue,
        ]
    }

    package static func makeParts(context: ServiceContext<StorageSettings>) throws -> ServiceParts {
        let settings = context.configuration.current.service
        let cache: any CacheStore
        let jobs: any JobStore
        let records: any RecordStore
        let access: any AccessStore
        var probes: [ReadinessProbe] = []
        var background: [any Service] = []
        switch settings.backend {
        case .sqlite:
            PrivateFiles.restrictNewFiles()
            for problem in try PrivateFiles.prepare(database: settings.path, allowShared: settings.allowSharedFiles) {
                context.logger.warning("\(problem); starting anyway (storage.allow_shared_files)")
            }
            let database = try SQLiteDatabase(path: settings.path)
            context.logger.notice("storage: SQLite database \(settings.path)")
            cache = SQLiteCacheStore(database: database)
            jobs = SQLiteJobStore(database: database)
            records = SQLiteRecordStore(database: database)
            access = SQLiteAccessStore(database: database)
        case .memory:
            context.logger.notice("storage: in memory; nothing survives a restart")
            cache = InMemoryCacheStore()
            jobs = InMemoryJobStore()
            // Records and access run on SQLite's in-memory database: the same code as the file, nothing kept.
            let database = try SQLiteDatabase.inMemory()
            records = SQLiteRecordStore(database: database)
            access = SQLiteAccessStore(database: database)
        case .tarantool:
            let client = tarantoolClient(settings, logger: context.logger)
            let address = settings.tarantoolAddress
            probes.append(ReadinessProbe(name: "tarantool") { _ in
                try await client.ping()
                return "up (\(address))"
            })
            cache = TarantoolCacheStore(client: client, namespace: settings.tarantoolNamespace)
            jobs = TarantoolJobStore(client: client, namespace: settings.tarantoolNamespace)
            background.append(TarantoolMemoryMonitor.task(client, registry: context.metrics.registry, logger: context.logger))
            records = TarantoolRecordStore(client: client, namespace: settings.tarantoolNamespace)
            access = TarantoolAccessStore(client: client, namespace: settings.tarantoolNamespace)
            context.logger.notice("storage: in Tarantool \(settings.tarantoolAddress), namespace \(settings.tarantoolNamespace)")
        }
        let statistics = CacheStatistics(registry: context.metrics.registry)
        let now: @Sendable () -> Int64 = { UnixTime.nowMilliseconds }
        let service = CacheService(
            store: cache, statistics: statistics, limits: .init(maxValueBytes: settings.cacheMaxValueBytes), now: now)
        let sweeper = CacheSweeper(
            store: cache, statistics: statistics, interval: { context.configuration.current.service.cacheCleanupInterval },
            now: now, logger: context.logger)
        background.append(sweeper)
        var broker: BrokerPublisher?
        if context.configuration.current.chassis.features.queueBackend == .rabbitmq {
            let publisher = brokerPublisher(settings.broker)
            broker = publisher
            probes.append(ReadinessProbe(name: "rabbitmq") { _ in
                let depth = try await publisher.depth()
                return "up (\(settings.broker.address), \(depth.jobs) ready, \(depth.dead) dead)"
            })
            context.logger.notice("storage: publishing due jobs to RabbitMQ \(settings.broker.address), queue \(settings.broker.queue)")
        }
        let jobsService = JobsService(
            store: jobs, registry: context.metrics.registry, policy: { context.configuration.current.service.retry }, now: now,
            threadFor: { request in
                try await records.createThread(inn: request.inn, companyName: request.clientName, notes: request.notes, now: now()).0.id
            }, broker: broker)
        background.append(JobDepthMonitor.task(jobsService, logger: context.logger))
        if let broker {
            background.append(JobDispatcher(
                store: jobs, publisher: broker, jobs: jobsService, redispatchAfter: { context.configuration.current.service.redispatchAfter },
                now: now, registry: context.metrics.registry, logger: context.logger))
        }
        return ServiceParts(
            register: { router in
                service.register(in: &router)
                jobsService.register(in: &router)
                ThreadsService(store: records, now: now, forgetJobs: jobsService.forgetThread).register(in: &router)
                ReportsService(store: records, now: now).register(in: &router)
                DocumentsService(store: records, now: now).register(in: &router)
                FeedbackService(store: records, now: now).register(in: &router)
                AccessService(store: access, now: now).register(in: &router)
            },
            background: background,
            probes: probes)
    }

    static func brokerPublisher(_ settings: BrokerSettings) -> BrokerPublisher {
        var address = BrokerAddress(host: settings.address.host, port: settings.address.port, user: settings.user, password: settings.password.value)
        address.vhost = settings.vhost
        return BrokerPublisher(address: address, topology: JobTopology(queue: settings.queue, deliveryLimit: settings.deliveryLimit))
    }

    /// The Tarantool connection; each new connection first runs the namespace's migrations.
    static func tarantoolClient(_ settings: StorageSettings, logger: Logger) -> TarantoolClient {
        var configuration = TarantoolClient.Configuration(
            host: settings.tarantoolAddress.host, port: settings.tarantoolAddress.port, user: settings.tarantoolUser,
            password: settings.tarantoolPassword.value)
        configuration.timeout = settings.tarantoolTimeout
        let namespace = settings.tarantoolNamespace
        return TarantoolClient(configuration, logger: logger) { session in
            _ = try await session.call("cla.setup", [.string(namespace)])
        }
    }
}
