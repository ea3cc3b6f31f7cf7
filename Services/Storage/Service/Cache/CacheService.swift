package import Contracts
package import RPCCore

/// `clientanalyze.storage.v1.Cache`: provider answers with a TTL. An expired entry is never returned;
/// a sweeper deletes them in the background. Keys are `<source>:<rest>` by convention (`dadata:7707083893`),
/// which is how a miss — which has no entry to name its source — is counted against a source.
package struct CacheService: Sendable {
    private let store: any CacheStore
    private let statistics: CacheStatistics
    private let limits: Limits
    private let now: @Sendable () -> Int64

    package struct Limits: Sendable {
        package var maxKeyBytes = 1024
        package var maxValueBytes: Int
        package var maxTTLMs: Int64 = 366 * 24 * 3_600_000

        package init(maxValueBytes: Int) { self.maxValueBytes = maxValueBytes }
    }

    package init(store: any CacheStore, statistics: CacheStatistics, limits: Limits, now: @escaping @Sendable () -> Int64) {
        self.store = store
        self.statistics = statistics
        self.limits = limits
        self.now = now
    }

    private typealias Method = StorageV1.Cache.Method

    package func register(in router: inout RPCRouter) {
        router.registerUnary(Method.Get.self) { request, _ in ServerResponse(try await get(request)) }
        router.registerUnary(Method.Set.self) { request, _ in ServerResponse(try await set(request)) }
        router.registerUnary(Method.Delete.self) { request, _ in ServerResponse(try await delete(request)) }
        router.registerUnary(Method.List.self) { request, _ in ServerResponse(try await list(request)) }
        router.registerUnary(Method.Count.self) { request, _ in
            let count = try await store.count(prefix: request.prefix, now: now())
            return ServerResponse(.with { $0.count = count })
        }
        router.registerUnary(Method.Stats.self) { _, _ in ServerResponse(try await stats()) }
    }

    package func get(_ request: StorageV1.CacheGetRequest) async throws -> StorageV1.CacheGetResponse {
        try validate(key: request.key, field: "key")
        let time = now()
        guard let entry = try await store.get(request.key, now: time) else {
            statistics.record(hit: false, source: Self.source(ofKey: request.key))
            return StorageV1.CacheGetResponse()
        }
        statistics.record(hit: true, source: entry.source)
        return .with {
            $0.found = true
            $0.value = entry.value
            $0.info = entry.summary.info(now: time)
        }
    }

    package func set(_ request: StorageV1.CacheSetRequest) async throws -> StorageV1.CacheSetResponse {
        try validate(key: request.key, field: "key")
        guard request.ttlMs > 0 else { throw RPCError(.invalidArgument, "ttl_ms: must be > 0, got \(request.ttlMs)") }
        guard request.ttlMs <= limits.maxTTLMs else {
            throw RPCError(.invalidArgument, "ttl_ms: must be at most \(limits.maxTTLMs) (366 days), got \(request.ttlMs)")
        }
        guard request.value.count <= limits.maxValueBytes else {
            throw RPCError(.invalidArgument, "value: \(request.value.count) bytes is over the limit of \(limits.maxValueBytes)")
        }
        switch request.source {
        case .unspecified, .unrecognized:
            throw RPCError(.invalidArgument, "source: must name the provider the value came from")
        default:
            break
        }
        let time = now()
        let entry = CacheEntry(key: request.key, value: request.value, source: request.source, createdAtMs: time, expiresAtMs: time + request.ttlMs)
        try await store.set(entry)
        return .with { $0.info = entry.summary.info(now: time) }
    }

    package func delete(_ request: StorageV1.CacheDeleteRequest) async throws -> StorageV1.CacheDeleteResponse {
        let deleted: Int
        switch request.target {
        case .key(let key)?:
            try validate(key: key, field: "key")
            deleted = try await store.delete(key: key)
        case .prefix(let prefix)?:
            guard !prefix.isEmpty else {
                throw RPCError(.invalidArgument, "prefix: must not be empty (it would delete the whole cache)")
            }
            deleted = try await store.delete(prefix: prefix)
        case nil:
            throw RPCError(.invalidArgument, "target: set key or prefix")
        }
        return .with { $0.deleted = Int64(deleted) }
    }

    package func list(_ request: StorageV1.CacheListRequest) async throws -> StorageV1.CacheListResponse {
        let page = try PageRequest(request.page)
        let time = now()
        let entries = try await store.list(prefix: request.prefix, after: page.after, limit: page.limit, now: time)
        let total = try await store.count(prefix: request.prefix, now: time)
        return .with { response in
            response.entries = entries.prefix(page.size).map { $0.info(now: time) }
            response.page = .with {
                $0.nextCursor = page.nextCursor(entries, key: \.key)
                $0.total = total
            }
        }
    }

    package func stats() async throws -> StorageV1.CacheStatsResponse {
        let totals = try await store.totals(now: now())
        let counts = statistics.bySource
        let sources = Set(totals.keys).union(counts.keys).sorted { $0.protoNumber < $1.protoNumber }
        return .with { response in
            response.sources = sources.map { source in
                .with {
                    $0.source = source
                    $0.hits = counts[source]?.hits ?? 0
                    $0.misses = counts[source]?.misses ?? 0
                    $0.entries = totals[source]?.entries ?? 0
                    $0.bytes = totals[source]?.bytes ?? 0
                }
            }
            response.entries = totals.values.reduce(0) { $0 + $1.entries }
            response.bytes = totals.values.reduce(0) { $0 + $1.bytes }
            let hits = counts.values.reduce(0) { $0 + $1.hits }
            let lookups = hits + counts.values.reduce(0) { $0 + $1.misses }
            response.hitRate = lookups == 0 ? 0 : Double(hits) / Double(lookups)
            response.expiredRemoved = statistics.expiredRemoved
        }
    }

    private func validate(key: String, field: String) throws {
        _ = try Validate.nonEmpty(key, field)
        guard key.utf8.count <= limits.maxKeyBytes else {
            throw RPCError(.invalidArgument, "\(field): \(key.utf8.count) bytes is over the limit of \(limits.maxKeyBytes)")
        }
    }

    /// The source a key names by convention (`dadata:…`), `.unspecified` when it names none.
    static func source(ofKey key: String) -> CommonV1.Source {
        let name = key.prefix { $0 != ":" }
        return Self.sourcesByLabel[String(name)] ?? .unspecified
    }

    private static let sourcesByLabel: [String: CommonV1.Source] = Dictionary(
        uniqueKeysWithValues: [CommonV1.Source.dadata, .casebook, .infosphere, .tavily, .perplexity, .llm].map {
            (CacheStatistics.label($0), $0)
        })
}
