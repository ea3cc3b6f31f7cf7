package import Contracts
internal import Foundation
internal import GRDB
internal import RPCCore

/// The gateway's API keys and the audit log, as a backend keeps them (validation is `AccessService`'s).
package protocol AccessStore: Sendable {
    /// Creates or replaces the key with this id; ALREADY_EXISTS when another key has the same secret hash.
    func putKey(_ key: StorageV1.ApiKey) async throws
    func key(id: String) async throws -> StorageV1.ApiKey?
    func key(secretHash: String) async throws -> StorageV1.ApiKey?
    /// Keys by id.
    func keys(includeRevoked: Bool) async throws -> [StorageV1.ApiKey]
    /// Marks the key revoked at `now` unless it already is; nil for an unknown key.
    func revokeKey(id: String, now: Int64) async throws -> StorageV1.ApiKey?
    /// Records the key's last use at `at` unless a later one is recorded; nothing for an unknown key.
    func touchKey(id: String, at: Int64) async throws
    func appendAudit(_ record: StorageV1.AuditRecord) async throws
    /// Audit records newest first (ids are time-ordered); `before` is the last id of the previous page.
    func audit(_ query: AuditQuery, before: String?, limit: Int) async throws -> [StorageV1.AuditRecord]
}

/// `ListAudit`'s filter: empty strings and zero times mean "any".
package struct AuditQuery: Sendable {
    package var actor = ""
    package var actionPrefix = ""
    package var fromMs: Int64 = 0
    package var toMs: Int64 = 0

    package init(actor: String = "", actionPrefix: String = "", fromMs: Int64 = 0, toMs: Int64 = 0) {
        self.actor = actor
        self.actionPrefix = actionPrefix
        self.fromMs = fromMs
        self.toMs = toMs
    }
}

/// Keys and audit records in the storage SQLite database (`api_keys`, `audit`).
package struct SQLiteAccessStore: AccessStore {
    private let database: SQLiteDatabase

    package init(database: SQLiteDatabase) { self.database = database }

    package func putKey(_ key: StorageV1.ApiKey) async throws {
        do {
            try await database.pool.write { db in
                try db.execute(
                    // Not INSERT OR REPLACE: that would silently drop another key holding the same hash.
                    sql: """
                        INSERT INTO api_keys (id, secret_hash, revoked, record) VALUES (?, ?, ?, ?)
                        ON CONFLICT (id) DO UPDATE SET secret_hash = excluded.secret_hash, revoked = excluded.revoked, record = excluded.record
                        """,
                    arguments: [key.id, key.secretHash, key.revoked, Data(try key.serializedBytes())])
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw RPCError(.alreadyExists, "key.secret_hash: another key has this secret")
        }
    }

    package func key(id: String) async throws -> StorageV1.ApiKey? { try fetchKey("id", id) }

    package func key(secretHash: String) async throws -> StorageV1.ApiKey? { try fetchKey("secret_hash", secretHash) }

    package func keys(includeRevoked: Bool) async throws -> [StorageV1.ApiKey] {
        try database.readNow { db in
            try Data.fetchAll(db, sql: "SELECT record FROM api_keys \(includeRevoked ? "" : "WHERE revoked = 0") ORDER BY id")
                .map { try StorageV1.ApiKey(serializedBytes: $0) }
        }
    }

    package func revokeKey(id: String, now: Int64) async throws -> StorageV1.ApiKey? {
        try await database.pool.write { db in
            guard let data = try Data.fetchOne(db, sql: "SELECT record FROM api_keys WHERE id = ?", arguments: [id]) else { return nil }
            var key = try StorageV1.ApiKey(serializedBytes: data)
            if !key.revoked {
                key.revoked = true
                key.revokedAtMs = now
                try db.execute(sql: "UPDATE api_keys SET revoked = 1, record = ? WHERE id = ?", arguments: [Data(try key.serializedBytes()), id])
            }
            return key
        }
    }

    package func touchKey(id: String, at: Int64) async throws {
        try await database.batchedWrite { db in
            guard let data = try Data.fetchOne(db, sql: "SELECT record FROM api_keys WHERE id = ?", arguments: [id]) else { return }
            var key = try StorageV1.ApiKey(serializedBytes: data)
            guard key.lastUsedAtMs < at else { return }
            key.lastUsedAtMs = at
            try db.execute(sql: "UPDATE api_keys SET record = ? WHERE id = ?", arguments: [Data(try key.serializedBytes()), id])
        }
    }

    package func appendAudit(_ record: StorageV1.AuditRecord) async throws {
        try await database.batchedWrite { db in
            try db.execute(
                sql: "INSERT INTO audit (id, at_ms, actor, action, record) VALUES (?, ?, ?, ?, ?)",
                arguments: [record.id, record.atMs, record.actor, record.action, Data(try record.serializedBytes())])
        }
    }

    package func audit(_ query: AuditQuery, before: String?, limit: Int) async throws -> [StorageV1.AuditRecord] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if !query.actor.isEmpty { conditions.append("actor = ?"); arguments += [query.actor] }
        if !query.actionPrefix.isEmpty {
            conditions.append("substr(action, 1, length(?)) = ?")
            arguments += [query.actionPrefix, query.actionPrefix]
        }
        if query.fromMs != 0 { conditions.append("at_ms >= ?"); arguments += [query.fromMs] }
        if query.toMs != 0 { conditions.append("at_ms < ?"); arguments += [query.toMs] }
        if let before { conditions.append("id < ?"); arguments += [before] }
        arguments += [limit]
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let bound = arguments
        return try database.readNow { db in
            try Data.fetchAll(db, sql: "SELECT record FROM audit \(filter) ORDER BY id DESC LIMIT ?", arguments: bound)
                .map { try StorageV1.AuditRecord(serializedBytes: $0) }
        }
    }

    private func fetchKey(_ column: String, _ value: String) throws -> StorageV1.ApiKey? {
        try database.readNow { db in
            try Data.fetchOne(db, sql: "SELECT record FROM api_keys WHERE \(column) = ?", arguments: [value]).map { try StorageV1.ApiKey(serializedBytes: $0) }
        }
    }
}
