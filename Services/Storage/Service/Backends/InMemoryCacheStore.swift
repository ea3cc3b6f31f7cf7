package import Contracts
internal import Synchronization

/// The cache in memory, for tests and for `storage.backend: memory`. Nothing survives a restart.
package final class InMemoryCacheStore: CacheStore {
    private let entries = Mutex<[String: CacheEntry]>([:])

    package init() {}

    package func get(_ key: String, now: Int64) async throws -> CacheEntry? {
        entries.withLock { $0[key] }.flatMap { $0.expiresAtMs > now ? $0 : nil }
    }

    package func set(_ entry: CacheEntry) async throws {
        entries.withLock { $0[entry.key] = entry }
    }

    package func delete(key: String) async throws -> Int {
        entries.withLock { $0.removeValue(forKey: key) == nil ? 0 : 1 }
    }

    package func delete(prefix: String) async throws -> Int {
        entries.withLock { entries in
            let keys = entries.keys.filter { $0.hasPrefix(prefix) }
            for key in keys { entries.removeValue(forKey: key) }
            return keys.count
        }
    }

    package func list(prefix: String, after: String?, limit: Int, now: Int64) async throws -> [CacheEntrySummary] {
        let live = entries.withLock { entries in
            entries.values.filter { entry in
                entry.key.hasPrefix(prefix) && entry.expiresAtMs > now && (after.map { Self.precedes($0, entry.key) } ?? true)
            }
        }
        return live.sorted { Self.precedes($0.key, $1.key) }.prefix(limit).map(\.summary)
    }

    package func count(prefix: String, now: Int64) async throws -> Int64 {
        Int64(entries.withLock { $0.values.count { $0.key.hasPrefix(prefix) && $0.expiresAtMs > now } })
    }

    package func totals(now: Int64) async throws -> [CommonV1.Source: CacheSourceTotals] {
        entries.withLock { entries in
            var totals: [CommonV1.Source: CacheSourceTotals] = [:]
            for entry in entries.values where entry.expiresAtMs > now {
                totals[entry.source, default: CacheSourceTotals(entries: 0, bytes: 0)].entries += 1
                totals[entry.source, default: CacheSourceTotals(entries: 0, bytes: 0)].bytes += Int64(entry.value.count)
            }
            return totals
        }
    }

    package func removeExpired(now: Int64) async throws -> Int {
        entries.withLock { entries in
            let expired = entries.values.filter { $0.expiresAtMs <= now }.map(\.key)
            for key in expired { entries.removeValue(forKey: key) }
            return expired.count
        }
    }

    /// Byte order of the UTF-8 forms, as SQLite's BINARY collation compares text.
    private static func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
}
