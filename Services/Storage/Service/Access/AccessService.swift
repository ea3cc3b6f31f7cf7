package import Contracts
internal import Foundation
internal import GRDB
package import RPCCore

/// `clientanalyze.storage.v1.Access`: the gateway's API keys (only SHA-256 hashes of their secrets are ever
/// stored) and the audit log.
package struct AccessService: Sendable {
    private let database: SQLiteDatabase
    private let now: @Sendable () -> Int64

    package init(database: SQLiteDatabase, now: @escaping @Sendable () -> Int64) {
        self.database = database
        self.now = now
    }

    private typealias Method = StorageV1.Access.Method

    package func register(in router: inout RPCRouter) {
        router.registerUnary(Method.PutApiKey.self) { request, _ in
            let key = try await put(request.key)
            return ServerResponse(.with { $0.key = key })
        }
        router.registerUnary(Method.GetApiKey.self) { request, _ in
            let key = try await get(request)
            return ServerResponse(.with { $0.key = key })
        }
        router.registerUnary(Method.ListApiKeys.self) { request, _ in
            let keys = try database.readNow { db in
                try Data.fetchAll(db, sql: "SELECT record FROM api_keys \(request.includeRevoked ? "" : "WHERE revoked = 0") ORDER BY id")
                    .map { try StorageV1.ApiKey(serializedBytes: $0) }
            }
            return ServerResponse(.with { $0.keys = keys })
        }
        router.registerUnary(Method.RevokeApiKey.self) { request, _ in
            let key = try await revoke(try Validate.nonEmpty(request.id, "id"))
            return ServerResponse(.with { $0.key = key })
        }
        router.registerUnary(Method.AppendAudit.self) { request, _ in
            let id = try await append(request.record)
            return ServerResponse(.with { $0.id = id })
        }
        router.registerUnary(Method.ListAudit.self) { request, _ in ServerResponse(try await listAudit(request)) }
    }

    /// Creates or replaces a key. A secret in plain text is refused: only its SHA-256 (64 hex digits) is kept.
    package func put(_ key: StorageV1.ApiKey?) async throws -> StorageV1.ApiKey {
        guard var key else { throw RPCError(.invalidArgument, "key: must be set") }
        _ = try Validate.nonEmpty(key.name, "key.name")
        guard key.secretHash.count == 64, key.secretHash.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw RPCError(.invalidArgument, "key.secret_hash: expected the SHA-256 of the secret as 64 lower-case hex digits; storage never keeps secrets")
        }
        switch key.role {
        case .viewer, .analyst, .admin: break
        default: throw RPCError(.invalidArgument, "key.role: must be VIEWER, ANALYST or ADMIN")
        }
        guard key.rateLimitPerMinute >= 0 else {
            throw RPCError(.invalidArgument, "key.rate_limit_per_minute: must be ≥ 0 (0: the default), got \(key.rateLimitPerMinute)")
        }
        let time = now()
        if key.id.isEmpty { key.id = RecordID.make("k", now: time) }
        if key.createdAtMs == 0 { key.createdAtMs = time }
        let stored = key
        do {
            try await database.pool.write { db in
                try db.execute(
                    // Not INSERT OR REPLACE: that would silently drop another key holding the same hash.
                    sql: """
                        INSERT INTO api_keys (id, secret_hash, revoked, record) VALUES (?, ?, ?, ?)
                        ON CONFLICT (id) DO UPDATE SET secret_hash = excluded.secret_hash, revoked = excluded.revoked, record = excluded.record
                        """,
                    arguments: [stored.id, stored.secretHash, stored.revoked, Data(try stored.serializedBytes())])
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw RPCError(.alreadyExists, "key.secret_hash: another key has this secret")
        }
        return stored
    }

    package func get(_ request: StorageV1.GetApiKeyRequest) async throws -> StorageV1.ApiKey {
        let (column, value): (String, String)
        switch request.lookup {
        case .id(let id)?: (column, value) = ("id", try Validate.nonEmpty(id, "id"))
        case .secretHash(let hash)?: (column, value) = ("secret_hash", try Validate.nonEmpty(hash, "secret_hash"))
        case nil: throw RPCError(.invalidArgument, "lookup: set id or secret_hash")
        }
        let found = try database.readNow { db in
            try Data.fetchOne(db, sql: "SELECT record FROM api_keys WHERE \(column) = ?", arguments: [value]).map { try StorageV1.ApiKey(serializedBytes: $0) }
        }
        guard let found else { throw RPCError(.notFound, "API key not found") }
        return found
    }

    /// Idempotent: revoking a revoked key returns it unchanged.
    package func revoke(_ id: String) async throws -> StorageV1.ApiKey {
        let time = now()
        let key: StorageV1.ApiKey? = try await database.pool.write { db in
            guard let data = try Data.fetchOne(db, sql: "SELECT record FROM api_keys WHERE id = ?", arguments: [id]) else { return nil }
            var key = try StorageV1.ApiKey(serializedBytes: data)
            if !key.revoked {
                key.revoked = true
                key.revokedAtMs = time
                try db.execute(
                    sql: "UPDATE api_keys SET revoked = 1, record = ? WHERE id = ?", arguments: [Data(try key.serializedBytes()), id])
            }
            return key
        }
        guard let key else { throw RPCError(.notFound, "API key \(id) not found") }
        return key
    }

    package func append(_ record: StorageV1.AuditRecord?) async throws -> String {
        guard var record else { throw RPCError(.invalidArgument, "record: must be set") }
        _ = try Validate.nonEmpty(record.action, "record.action")
        let time = now()
        record.id = RecordID.make("a", now: time)
        if record.atMs == 0 { record.atMs = time }
        let stored = record
        try await database.batchedWrite { db in
            try db.execute(
                sql: "INSERT INTO audit (id, at_ms, actor, action, record) VALUES (?, ?, ?, ?, ?)",
                arguments: [stored.id, stored.atMs, stored.actor, stored.action, Data(try stored.serializedBytes())])
        }
        return stored.id
    }

    package func listAudit(_ request: StorageV1.ListAuditRequest) async throws -> StorageV1.ListAuditResponse {
        let page = try PageRequest(request.page, cursorPrefix: "a1.")
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if !request.actor.isEmpty { conditions.append("actor = ?"); arguments += [request.actor] }
        if !request.actionPrefix.isEmpty {
            conditions.append("substr(action, 1, length(?)) = ?")
            arguments += [request.actionPrefix, request.actionPrefix]
        }
        if request.fromMs != 0 { conditions.append("at_ms >= ?"); arguments += [request.fromMs] }
        if request.toMs != 0 { conditions.append("at_ms < ?"); arguments += [request.toMs] }
        if let before = page.after { conditions.append("id < ?"); arguments += [before] }
        arguments += [page.limit]
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let bound = arguments
        let records = try database.readNow { db in
            try Data.fetchAll(db, sql: "SELECT record FROM audit \(filter) ORDER BY id DESC LIMIT ?", arguments: bound)
                .map { try StorageV1.AuditRecord(serializedBytes: $0) }
        }
        return .with { response in
            response.records = Array(records.prefix(page.size))
            response.page = .with {
                $0.nextCursor = page.nextCursor(records, key: \.id)
            }
        }
    }
}
