import Contracts
import Prometheus
import RPCCore
import Storage
import Logging
import Synchronization
import Testing

/// The Cache RPC service over an in-memory store with a clock the test moves.
@Suite("Cache service")
struct CacheServiceTests {
    let clock = ManualClock()
    let store = InMemoryCacheStore()
    let registry = PrometheusCollectorRegistry()
    let service: CacheService
    let statistics: CacheStatistics

    init() {
        statistics = CacheStatistics(registry: registry)
        service = CacheService(store: store, statistics: statistics, limits: .init(maxValueBytes: 1000), now: { [clock] in clock.now })
    }

    func set(_ key: String, ttl: Int64 = 1000, source: CommonV1.Source = .dadata) async throws {
        _ = try await service.set(.with {
            $0.key = key
            $0.value = [1, 0, 2]
            $0.ttlMs = ttl
            $0.source = source
        })
    }

    @Test("a set value is found until its TTL runs out, then it is a miss")
    func ttl() async throws {
        try await set("dadata:7707083893", ttl: 500)
        let hit = try await service.get(.with { $0.key = "dadata:7707083893" })
        #expect(hit.found && hit.value == [1, 0, 2])
        #expect(hit.info?.expiresInMs == 500 && hit.info?.sizeBytes == 3 && hit.info?.source == .dadata)
        clock.advance(by: 499)
        #expect(try await service.get(.with { $0.key = "dadata:7707083893" }).found)
        clock.advance(by: 1)
        let miss = try await service.get(.with { $0.key = "dadata:7707083893" })
        #expect(!miss.found && miss.value.isEmpty && miss.info == nil)
    }

    @Test(
        "bad input is refused with INVALID_ARGUMENT naming the field, and nothing is written",
        arguments: [
            ("", 1000, 3, CommonV1.Source.dadata, "key: must not be empty"),
            ("dadata:1", 0, 3, .dadata, "ttl_ms: must be > 0, got 0"),
            ("dadata:1", -5, 3, .dadata, "ttl_ms: must be > 0, got -5"),
            ("dadata:1", 1000, 1001, .dadata, "value: 1001 bytes is over the limit of 1000"),
            ("dadata:1", 1000, 3, .unspecified, "source: must name the provider"),
            (String(repeating: "k", count: 1025), 1000, 3, .dadata, "key: 1025 bytes is over the limit of 1024"),
        ])
    func badSet(key: String, ttl: Int64, size: Int, source: CommonV1.Source, message: String) async throws {
        let error = await #expect(throws: RPCError.self) {
            try await service.set(.with {
                $0.key = key
                $0.ttlMs = ttl
                $0.value = Array(repeating: 7, count: size)
                $0.source = source
            })
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasPrefix(message) == true, "\(String(describing: error?.message))")
        #expect(try await store.count(prefix: "", now: clock.now) == 0)
    }

    @Test("delete needs a key or a non-empty prefix")
    func badDelete() async throws {
        try await set("dadata:1")
        for (request, message) in [
            (StorageV1.CacheDeleteRequest(), "target: set key or prefix"),
            (.with { $0.target = .prefix("") }, "prefix: must not be empty"),
            (.with { $0.target = .key("") }, "key: must not be empty"),
        ] {
            let error = await #expect(throws: RPCError.self) { try await service.delete(request) }
            #expect(error?.code == .invalidArgument && error?.message.hasPrefix(message) == true)
        }
        #expect(try await service.delete(.with { $0.target = .prefix("dadata:") }).deleted == 1)
    }

    @Test("list pages with opaque cursors and a total; bad page sizes and cursors are refused")
    func list() async throws {
        for i in 0..<7 { try await set("casebook:\(i)", source: .casebook) }
        var keys: [String] = []
        var cursor = ""
        repeat {
            let page = try await service.list(.with {
                $0.prefix = "casebook:"
                $0.page = .with { $0.pageSize = 3; $0.cursor = cursor }
            })
            #expect(page.page?.total == 7)
            keys += page.entries.map(\.key)
            cursor = page.page?.nextCursor ?? ""
        } while !cursor.isEmpty
        #expect(keys == (0..<7).map { "casebook:\($0)" })

        let tooBig = await #expect(throws: RPCError.self) {
            try await service.list(.with { $0.page = .with { $0.pageSize = 1001 } })
        }
        #expect(tooBig?.message.hasPrefix("page.page_size: must be from 1 to 1000") == true)
        let forged = await #expect(throws: RPCError.self) {
            try await service.list(.with { $0.page = .with { $0.cursor = "c1.zz" } })
        }
        #expect(forged?.message == "page.cursor: not a cursor this service gave out")
    }

    @Test("stats: hits and misses per source (a miss by its key's source), entries, bytes, hit rate, expired")
    func stats() async throws {
        try await set("dadata:1")
        try await set("tavily:q", ttl: 10, source: .tavily)
        _ = try await service.get(.with { $0.key = "dadata:1" })
        _ = try await service.get(.with { $0.key = "dadata:1" })
        _ = try await service.get(.with { $0.key = "dadata:2" })
        _ = try await service.get(.with { $0.key = "casebook:9" })
        clock.advance(by: 10)
        let sweeper = CacheSweeper(store: store, statistics: statistics, interval: { .seconds(60) }, now: { [clock] in clock.now },
                                   logger: .init(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        await sweeper.sweep()

        let stats = try await service.stats()
        let bySource = Dictionary(uniqueKeysWithValues: stats.sources.map { ($0.source, $0) })
        #expect(bySource[.dadata]?.hits == 2 && bySource[.dadata]?.misses == 1)
        #expect(bySource[.dadata]?.entries == 1 && bySource[.dadata]?.bytes == 3)
        #expect(bySource[.casebook]?.misses == 1 && bySource[.casebook]?.entries == 0)
        #expect(bySource[.tavily] == nil)  // nothing held, nothing looked up: not listed
        #expect(stats.entries == 1 && stats.bytes == 3)
        #expect(stats.hitRate == 0.5)
        #expect(stats.expiredRemoved == 1)
        #expect(registry.emitToString().contains(#"storage_cache_requests_total{source="dadata",result="hit"} 2"#))
    }
}
