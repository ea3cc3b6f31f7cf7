package import Contracts
internal import RPCCore
package import Tarantool

/// API keys and the audit log in Tarantool (`storage.backend: tarantool`): the `cla.records_*` key and audit
/// functions of compose/tarantool/cla_records.lua.
package struct TarantoolAccessStore: AccessStore {
    private let client: TarantoolClient
    private let namespace: String

    package init(client: TarantoolClient, namespace: String) {
        self.client = client
        self.namespace = namespace
    }

    package func putKey(_ key: StorageV1.ApiKey) async throws {
        let outcome = try await call("put_key", .string(key.id), .string(key.secretHash), .bool(key.revoked), .binary(try key.serializedBytes()))
        if outcome.first?.string == "taken" { throw RPCError(.alreadyExists, "key.secret_hash: another key has this secret") }
    }

    package func key(id: String) async throws -> StorageV1.ApiKey? { try await key(by: "id", id) }

    package func key(secretHash: String) async throws -> StorageV1.ApiKey? { try await key(by: "secret_hash", secretHash) }

    package func keys(includeRevoked: Bool) async throws -> [StorageV1.ApiKey] {
        try (try await call("keys", .bool(includeRevoked)).first?.array ?? []).map { try StorageV1.ApiKey(serializedBytes: try field($0.bytes)) }
    }

    package func revokeKey(id: String, now: Int64) async throws -> StorageV1.ApiKey? {
        for _ in 0..<TarantoolRecordStore.attempts {
            guard let current = try await call("key", .string("id"), .string(id)).first?.bytes else { return nil }
            var key = try StorageV1.ApiKey(serializedBytes: current)
            if key.revoked { return key }
            key.revoked = true
            key.revokedAtMs = now
            if try await swap(id, expected: current, key) { return key }
        }
        throw TarantoolError.unavailable("API key \(id) kept changing while it was revoked")
    }

    package func touchKey(id: String, at: Int64) async throws {
        for _ in 0..<TarantoolRecordStore.attempts {
            guard let current = try await call("key", .string("id"), .string(id)).first?.bytes else { return }
            var key = try StorageV1.ApiKey(serializedBytes: current)
            guard key.lastUsedAtMs < at else { return }
            key.lastUsedAtMs = at
            if try await swap(id, expected: current, key) { return }
        }
        throw TarantoolError.unavailable("API key \(id) kept changing while its use was recorded")
    }

    /// Saves `key` if its record is still `expected` (a compare-and-swap in Tarantool).
    private func swap(_ id: String, expected: [UInt8], _ key: StorageV1.ApiKey) async throws -> Bool {
        try await call("swap_key", .string(id), .binary(expected), .binary(try key.serializedBytes()), .bool(key.revoked)).first?.bool == true
    }

    package func appendAudit(_ record: StorageV1.AuditRecord) async throws {
        _ = try await call(
            "append_audit", .string(record.id), .int(record.atMs), .string(record.actor), .string(record.action), .binary(try record.serializedBytes()))
    }

    package func audit(_ query: AuditQuery, before: String?, limit: Int) async throws -> [StorageV1.AuditRecord] {
        var pairs: [MessagePackPair] = []
        if !query.actor.isEmpty { pairs.append(MessagePackPair(.string("actor"), .string(query.actor))) }
        if !query.actionPrefix.isEmpty { pairs.append(MessagePackPair(.string("prefix"), .string(query.actionPrefix))) }
        if query.fromMs != 0 { pairs.append(MessagePackPair(.string("from"), .int(query.fromMs))) }
        if query.toMs != 0 { pairs.append(MessagePackPair(.string("to"), .int(query.toMs))) }
        let rows = try await call("audit", .map(pairs), TarantoolRecordStore.optional(before), .uint(limit)).first?.array ?? []
        return try rows.map { try StorageV1.AuditRecord(serializedBytes: try field($0.bytes)) }
    }

    private func key(by column: String, _ value: String) async throws -> StorageV1.ApiKey? {
        guard let bytes = try await call("key", .string(column), .string(value)).first?.bytes else { return nil }
        return try StorageV1.ApiKey(serializedBytes: bytes)
    }

    private func call(_ function: String, _ arguments: MessagePack...) async throws -> [MessagePack] {
        try await client.call("cla.records_" + function, [.string(namespace)] + arguments)
    }
}
