package import Contracts

/// Where the cache lives. Every backend (SQLite, in-memory, later Tarantool) passes the same conformance
/// suite (Tests/StorageTests/CacheStoreConformanceTests.swift). `now` is passed in so that expiry is
/// testable without sleeping; an entry with `expiresAtMs <= now` is expired and never returned or counted.
package protocol CacheStore: Sendable {
    func get(_ key: String, now: Int64) async throws -> CacheEntry?
    /// Inserts or replaces the entry with this key.
    func set(_ entry: CacheEntry) async throws
    /// Removes the key; returns how many entries went (0 or 1).
    func delete(key: String) async throws -> Int
    /// Removes every key starting with `prefix` (which is not empty).
    func delete(prefix: String) async throws -> Int
    /// Live entries whose key starts with `prefix`, by key, after the key `after` (exclusive), at most `limit`.
    func list(prefix: String, after: String?, limit: Int, now: Int64) async throws -> [CacheEntrySummary]
    func count(prefix: String, now: Int64) async throws -> Int64
    /// Live entries and bytes per source.
    func totals(now: Int64) async throws -> [CommonV1.Source: CacheSourceTotals]
    /// Deletes expired entries; returns how many.
    func removeExpired(now: Int64) async throws -> Int
}
