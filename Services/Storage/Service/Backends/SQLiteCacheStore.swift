package import Contracts
internal import Foundation
internal import GRDB

/// The cache in the storage service's SQLite file.
package struct SQLiteCacheStore: CacheStore {
    private let database: SQLiteDatabase

    package init(database: SQLiteDatabase) { self.database = database }

    /// Point reads run on the calling thread: under WAL they never wait for the writer and take
    /// microseconds, while the async form's hop through GRDB's dispatch queues cost five times the read
    /// (measured with `make bench`). Writes stay async: a durable commit waits for the disk.
    package func get(_ key: String, now: Int64) async throws -> CacheEntry? {
        try database.readNow { db in
            let statement = try db.cachedStatement(sql: "SELECT * FROM cache_entries WHERE key = ? AND expires_at_ms > ?")
            return try Row.fetchOne(statement, arguments: [key, now]).map { row in
                CacheEntry(
                    key: row["key"], value: Array(row["value"] as Data), source: CommonV1.Source(protoNumber: row["source"]),
                    createdAtMs: row["created_at_ms"], expiresAtMs: row["expires_at_ms"])
            }
        }
    }

    package func set(_ entry: CacheEntry) async throws {
        try await database.batchedWrite { db in
            let statement = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO cache_entries (key, value, source, size, created_at_ms, expires_at_ms)
                VALUES (?, ?, ?, ?, ?, ?)
                """)
            try statement.execute(arguments: [
                entry.key, Data(entry.value), entry.source.protoNumber, entry.value.count, entry.createdAtMs, entry.expiresAtMs,
            ])
        }
    }

    package func delete(key: String) async throws -> Int {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM cache_entries WHERE key = ?", arguments: [key])
            return db.changesCount
        }
    }

    package func delete(prefix: String) async throws -> Int {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM cache_entries WHERE \(Self.prefixCondition)", arguments: Self.prefixArguments(prefix))
            return db.changesCount
        }
    }

    package func list(prefix: String, after: String?, limit: Int, now: Int64) async throws -> [CacheEntrySummary] {
        try await database.pool.read { db in
            var sql = "SELECT key, source, size, created_at_ms, expires_at_ms FROM cache_entries WHERE \(Self.prefixCondition) AND expires_at_ms > ?"
            var arguments = Self.prefixArguments(prefix) + [now]
            if let after {
                sql += " AND key > ?"
                arguments += [after]
            }
            sql += " ORDER BY key LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                CacheEntrySummary(
                    key: row["key"], source: CommonV1.Source(protoNumber: row["source"]), sizeBytes: row["size"],
                    createdAtMs: row["created_at_ms"], expiresAtMs: row["expires_at_ms"])
            }
        }
    }

    package func count(prefix: String, now: Int64) async throws -> Int64 {
        try await database.pool.read { db in
            try Int64.fetchOne(
                db, sql: "SELECT count(*) FROM cache_entries WHERE \(Self.prefixCondition) AND expires_at_ms > ?",
                arguments: Self.prefixArguments(prefix) + [now]) ?? 0
        }
    }

    package func totals(now: Int64) async throws -> [CommonV1.Source: CacheSourceTotals] {
        try await database.pool.read { db in
            var totals: [CommonV1.Source: CacheSourceTotals] = [:]
            let rows = try Row.fetchAll(
                db, sql: "SELECT source, count(*) AS entries, sum(size) AS bytes FROM cache_entries WHERE expires_at_ms > ? GROUP BY source",
                arguments: [now])
            for row in rows {
                totals[CommonV1.Source(protoNumber: row["source"])] = CacheSourceTotals(entries: row["entries"], bytes: row["bytes"])
            }
            return totals
        }
    }

    package func removeExpired(now: Int64) async throws -> Int {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM cache_entries WHERE expires_at_ms <= ?", arguments: [now])
            return db.changesCount
        }
    }

    /// Keys starting with a prefix, as an index range plus an exact check: `key >= p AND key < p || U+10FFFF`
    /// lets SQLite seek in the primary key; the `substr` test makes the match exact (the range alone would
    /// miss a key continuing with U+10FFFF itself, a noncharacter).
    private static let prefixCondition =
        "((key >= ?1 AND key < ?1 || char(1114111)) OR (key >= ?1 || char(1114111) AND substr(key, 1, length(?1)) = ?1))"

    private static func prefixArguments(_ prefix: String) -> StatementArguments { [prefix] }
}
