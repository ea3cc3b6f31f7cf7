import Contracts
import Foundation
import GRDB
import Storage
import Tarantool
import Testing

/// What every cache backend must do. Later backends (Tarantool) join `Backend` and pass the same tests.
@Suite("Cache store conformance")
struct CacheStoreConformanceTests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case memory
        case sqlite
        case tarantool

        var testDescription: String { rawValue }

        func make() async throws -> any CacheStore {
            switch self {
            case .memory: InMemoryCacheStore()
            case .sqlite: SQLiteCacheStore(database: try SQLiteDatabase(path: Self.temporaryPath()))
            case .tarantool: try await TarantoolServer.store { TarantoolCacheStore(client: $0, namespace: $1) }
            }
        }

        static func temporaryPath() -> String {
            FileManager.default.temporaryDirectory.appendingPathComponent("cla-storage-\(UUID().uuidString)/storage.sqlite").path
        }
    }

    static let now: Int64 = 1_800_000_000_000

    static func entry(_ key: String, _ value: String = "v", source: CommonV1.Source = .dadata, ttl: Int64 = 60_000) -> CacheEntry {
        CacheEntry(key: key, value: Array(value.utf8), source: source, createdAtMs: now, expiresAtMs: now + ttl)
    }

    @Test("set, get, replace; a missing key is nil", arguments: Backend.allCases)
    func setAndGet(backend: Backend) async throws {
        let store = try await backend.make()
        #expect(try await store.get("dadata:1", now: Self.now) == nil)
        try await store.set(Self.entry("dadata:1", "first"))
        #expect(try await store.get("dadata:1", now: Self.now) == Self.entry("dadata:1", "first"))
        try await store.set(Self.entry("dadata:1", "second", source: .casebook))
        let replaced = try #require(try await store.get("dadata:1", now: Self.now))
        #expect(replaced.value == Array("second".utf8) && replaced.source == .casebook)
        #expect(try await store.count(prefix: "", now: Self.now) == 1)
    }

    @Test("values of every size come back byte for byte, replaced by shorter ones too; many sizes fit in memory", arguments: Backend.allCases)
    func valueSizes(backend: Backend) async throws {
        let store = try await backend.make()
        // 80 values from 1 KB to 400 KB (about 8 MB in all). Stored as they come, memtx gave each size its own
        // slab of up to 16 MiB, and the test instance's 256 MiB were full after about 50.
        var sizes: [Int] = []
        for i in 0..<80 { sizes.append(Int(1000 * pow(400, Double(i) / 79))) }
        for (i, size) in sizes.enumerated() {
            let value = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ i) }
            try await store.set(CacheEntry(key: "casebook:\(i)", value: value, source: .casebook, createdAtMs: Self.now, expiresAtMs: Self.now + 60_000))
        }
        for i in [0, 17, 79] {
            #expect(try await store.get("casebook:\(i)", now: Self.now)?.value == (0..<sizes[i]).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ i) })
        }
        #expect(try await store.totals(now: Self.now)[.casebook] == CacheSourceTotals(entries: 80, bytes: Int64(sizes.reduce(0, +))))
        // A long value replaced by a short one, with zero bytes in it: exactly the short one comes back.
        try await store.set(CacheEntry(key: "casebook:79", value: [0, 1, 0], source: .casebook, createdAtMs: Self.now, expiresAtMs: Self.now + 60_000))
        #expect(try await store.get("casebook:79", now: Self.now)?.value == [0, 1, 0])
        #expect(try await store.list(prefix: "casebook:79", after: nil, limit: 10, now: Self.now).first?.sizeBytes == 3)
        #expect(try await store.delete(prefix: "casebook:") == 80)
        #expect(try await store.get("casebook:17", now: Self.now) == nil)
    }

    @Test("an expired entry is never returned, listed, counted or totalled; cleanup removes only those", arguments: Backend.allCases)
    func expiry(backend: Backend) async throws {
        let store = try await backend.make()
        try await store.set(Self.entry("dadata:short", ttl: 10))
        try await store.set(Self.entry("dadata:long", ttl: 1000))
        #expect(try await store.get("dadata:short", now: Self.now + 9) != nil)
        let later = Self.now + 10
        #expect(try await store.get("dadata:short", now: later) == nil)
        #expect(try await store.count(prefix: "dadata:", now: later) == 1)
        #expect(try await store.list(prefix: "", after: nil, limit: 10, now: later).map(\.key) == ["dadata:long"])
        #expect(try await store.totals(now: later)[.dadata] == CacheSourceTotals(entries: 1, bytes: 1))
        #expect(try await store.removeExpired(now: later) == 1)
        #expect(try await store.removeExpired(now: later) == 0)
        #expect(try await store.get("dadata:long", now: later) != nil)
    }

    @Test("delete by key and by prefix remove exactly what they name", arguments: Backend.allCases)
    func deletion(backend: Backend) async throws {
        let store = try await backend.make()
        // "dadata;" is the first key past the "dadata:" range; "dadata:\u{10FFFF}" its last possible member.
        for key in ["dadata:1", "dadata:2", "dadata:\u{10FFFF}", "dadata;", "dadata2:1", "casebook:1", "дадата:1", "50%_off:1", "50%Xoff:1"] {
            try await store.set(Self.entry(key))
        }
        #expect(try await store.delete(key: "dadata:1") == 1)
        #expect(try await store.delete(key: "dadata:1") == 0)
        #expect(try await store.delete(prefix: "dadata:") == 2)
        #expect(try await store.delete(prefix: "50%_") == 1)  // LIKE wildcards are plain characters here
        #expect(try await store.delete(prefix: "дад") == 1)
        let left = try await store.list(prefix: "", after: nil, limit: 100, now: Self.now).map(\.key)
        #expect(left == ["50%Xoff:1", "casebook:1", "dadata2:1", "dadata;"])
    }

    @Test("list pages by key with a cursor; pages stay stable while entries are added", arguments: Backend.allCases)
    func paging(backend: Backend) async throws {
        let store = try await backend.make()
        let keys = (0..<25).map { String(format: "tavily:%03d", $0 * 2) }
        for key in keys { try await store.set(Self.entry(key)) }
        try await store.set(Self.entry("other:1"))

        var seen: [String] = []
        var after: String?
        var inserted = 0
        repeat {
            let page = try await store.list(prefix: "tavily:", after: after, limit: 10, now: Self.now)
            seen += page.map(\.key)
            after = page.count == 10 ? page.last?.key : nil
            // Concurrent writers: one key before the cursor (not to be seen) and one after it (to be seen).
            if let cursor = after, inserted < 2 {
                try await store.set(Self.entry("tavily:000a"))
                try await store.set(Self.entry(cursor + "x"))
                inserted += 1
            }
        } while after != nil
        let expected = (keys + seen.filter { $0.hasSuffix("x") }).sorted()
        #expect(seen == expected)
        #expect(Set(seen).count == seen.count)
        #expect(!seen.contains("tavily:000a"))
        #expect(seen.filter { $0.hasSuffix("x") }.count == 2)
    }

    @Test("totals count live entries and bytes per source", arguments: Backend.allCases)
    func totals(backend: Backend) async throws {
        let store = try await backend.make()
        try await store.set(Self.entry("dadata:1", "12345"))
        try await store.set(Self.entry("dadata:2", "123"))
        try await store.set(Self.entry("perplexity:1", "1234567", source: .perplexity))
        let totals = try await store.totals(now: Self.now)
        #expect(totals == [.dadata: CacheSourceTotals(entries: 2, bytes: 8), .perplexity: CacheSourceTotals(entries: 1, bytes: 7)])
    }

    @Test("binary values, including NUL bytes and a megabyte, come back intact", arguments: Backend.allCases)
    func binaryValues(backend: Backend) async throws {
        let store = try await backend.make()
        let value = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await store.set(CacheEntry(key: "llm:big", value: value, source: .llm, createdAtMs: Self.now, expiresAtMs: Self.now + 1))
        #expect(try await store.get("llm:big", now: Self.now)?.value == value)
    }

    @Test("SQLite: what was written is there after the database is reopened")
    func sqliteDurability() async throws {
        let path = Backend.temporaryPath()
        do {
            let store = SQLiteCacheStore(database: try SQLiteDatabase(path: path))
            try await store.set(Self.entry("dadata:kept", "persisted"))
        }
        let reopened = SQLiteCacheStore(database: try SQLiteDatabase(path: path))
        #expect(try await reopened.get("dadata:kept", now: Self.now)?.value == Array("persisted".utf8))
    }

    @Test("SQLite group commit: 200 concurrent writes all land, and a failing one fails alone")
    func groupCommit() async throws {
        struct Refused: Error {}
        let database = try SQLiteDatabase(path: Backend.temporaryPath())
        let store = SQLiteCacheStore(database: database)
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<200 {
                group.addTask {
                    if i == 100 {
                        do {
                            try await database.batchedWrite { db in
                                try db.execute(sql: "INSERT INTO cache_entries (key, value, source, size, created_at_ms, expires_at_ms) VALUES ('doomed', x'00', 1, 1, 0, 9e15)")
                                throw Refused()
                            }
                            return false
                        } catch is Refused {
                            return true
                        }
                    }
                    try await store.set(Self.entry("dadata:\(i)"))
                    return true
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.allSatisfy { $0 })
        #expect(try await store.count(prefix: "dadata:", now: Self.now) == 199)
        #expect(try await store.get("doomed", now: 0) == nil)  // its savepoint was rolled back
    }
}
