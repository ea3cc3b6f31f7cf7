package import Contracts
internal import Foundation
internal import GRDB

/// The cache in the storage service's SQLite file.
package struct SQLiteCacheStore: CacheStore {
    private let database: SQLiteDatabase

    package init(database: SQLiteDatabase) { self.database = database }

    /// Point reads run on the calling thread: under WAL they never wait for the writer and take
    /// microseconds, less than the async form's hop through GRDB's dispatch queues would. Writes stay async:
    /// a durable commit waits for the disk.
    package func get(_ key: String, now: Int64) async throws -> CacheEntry? {
        try database.readOneStatement { db in
            // Columns by position: a lookup by name lowercases and hashes the name, on every cache hit.
            let statement = try db.cachedStatement(sql: """
                SELECT value, source, created_at_ms, expires_at_ms FROM cache_entries WHERE key = ? AND expires_at_ms > ?
                """)
            return try Row.fetchOne(statement, arguments: [key, now]).map { row in
                CacheEntry(
                    key: key, value: Array(row[0] as Data), source: CommonV1.Source(protoNumber: row[1]),
                    createdAtMs: row[2], expiresAtMs: row[3])
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
            let range = Self.keyRange(prefix)
            try db.execute(sql: "DELETE FROM cache_entries WHERE \(range.sql)", arguments: range.arguments)
            return db.changesCount
        }
    }

    package func list(prefix: String, after: String?, limit: Int, now: Int64) async throws -> [CacheEntrySummary] {
        try database.readNow { db in
            let range = Self.keyRange(prefix)
            var sql = "SELECT key, source, size, created_at_ms, expires_at_ms FROM cache_entries WHERE \(range.sql) AND expires_at_ms > ?"
            var arguments = range.arguments + [now]
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
        try database.readNow { db in
            try Int64.fetchOne(
                db, sql: "SELECT count(*) FROM cache_entries WHERE \(Self.keyRange(prefix).sql) AND expires_at_ms > ?",
                arguments: Self.keyRange(prefix).arguments + [now]) ?? 0
        }
    }

    package func totals(now: Int64) async throws -> [CommonV1.Source: CacheSourceTotals] {
        try database.readNow { db in
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

    /// Keys starting with `prefix` as a range of the primary key, so SQLite seeks instead of scanning:
    /// `prefix <= key < successor`, where the successor is the prefix with its last scalar incremented. Text
    /// compares byte-wise in UTF-8, which orders like scalars, so the range holds exactly the keys with the
    /// prefix.
    static func keyRange(_ prefix: String) -> (sql: String, arguments: StatementArguments) {
        guard !prefix.isEmpty else { return ("1", []) }
        guard let upper = successor(of: prefix) else { return ("key >= ?", [prefix]) }
        return ("key >= ? AND key < ?", [prefix, upper])
    }

    /// The smallest string above every string that starts with `text`; nil when there is none (all U+10FFFF).
    static func successor(of text: String) -> String? {
        var scalars = Array(text.unicodeScalars)
        while let last = scalars.last, last.value == 0x10FFFF { scalars.removeLast() }
        guard let last = scalars.popLast() else { return nil }
        let next = last.value == 0xD7FF ? 0xE000 : last.value + 1  // surrogates are not scalars
        scalars.append(Unicode.Scalar(next)!)
        var result = ""
        result.unicodeScalars.append(contentsOf: scalars)
        return result
    }
}
