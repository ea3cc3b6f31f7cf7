package import Contracts
package import Tarantool
package import RPCCore

/// The provider cache in Tarantool (`storage.backend: tarantool`): the `cla.cache_*` functions of
/// compose/tarantool/cla.lua over the namespace's `<namespace>_cache` space.
package struct TarantoolCacheStore: CacheStore {
    private let client: TarantoolClient
    private let namespace: String

    package init(client: TarantoolClient, namespace: String) {
        self.client = client
        self.namespace = namespace
    }

    package func get(_ key: String, now: Int64) async throws -> CacheEntry? {
        guard let row = try await call("cache_get", .string(key), .int(now)).first?.array, row.count == 5 else { return nil }
        return CacheEntry(
            key: try field(row[0].string), value: try field(row[1].bytes), source: .init(protoNumber: Int32(try field(row[2].int))),
            createdAtMs: try field(row[3].int), expiresAtMs: try field(row[4].int))
    }

    package func set(_ entry: CacheEntry) async throws {
        _ = try await call(
            "cache_set", .string(entry.key), .binary(entry.value), .uint(entry.source.protoNumber), .int(entry.createdAtMs),
            .int(entry.expiresAtMs))
    }

    package func delete(key: String) async throws -> Int {
        Int(try await call("cache_delete", .string(key)).first?.int ?? 0)
    }

    package func delete(prefix: String) async throws -> Int {
        Int(try await call("cache_delete_prefix", .string(prefix)).first?.int ?? 0)
    }

    package func list(prefix: String, after: String?, limit: Int, now: Int64) async throws -> [CacheEntrySummary] {
        let rows = try await call("cache_list", .string(prefix), after.map(MessagePack.string) ?? .null, .uint(limit), .int(now)).first?.array ?? []
        return try rows.map { value in
            guard let row = value.array, row.count == 5 else { throw TarantoolError.protocolViolation("a cache summary of \(value)") }
            return CacheEntrySummary(
                key: try field(row[0].string), source: .init(protoNumber: Int32(try field(row[1].int))), sizeBytes: try field(row[2].int),
                createdAtMs: try field(row[3].int), expiresAtMs: try field(row[4].int))
        }
    }

    package func count(prefix: String, now: Int64) async throws -> Int64 {
        try await call("cache_count", .string(prefix), .int(now)).first?.int ?? 0
    }

    package func totals(now: Int64) async throws -> [CommonV1.Source: CacheSourceTotals] {
        var totals: [CommonV1.Source: CacheSourceTotals] = [:]
        for value in try await call("cache_totals", .int(now)).first?.array ?? [] {
            guard let row = value.array, row.count == 3 else { throw TarantoolError.protocolViolation("a cache total of \(value)") }
            totals[.init(protoNumber: Int32(try field(row[0].int)))] = CacheSourceTotals(entries: try field(row[1].int), bytes: try field(row[2].int))
        }
        return totals
    }

    package func removeExpired(now: Int64) async throws -> Int {
        Int(try await call("cache_remove_expired", .int(now)).first?.int ?? 0)
    }

    private func call(_ function: String, _ arguments: MessagePack...) async throws -> [MessagePack] {
        try await client.call("cla." + function, [.string(namespace)] + arguments)
    }
}

/// A field the Lua side always returns; missing, it is a schema mismatch.
func field<Value>(_ value: Value?, _ name: StaticString = #function) throws -> Value {
    guard let value else { throw TarantoolError.protocolViolation("a field of the wrong type in an answer to \(name)") }
    return value
}

/// Tarantool failures as callers of storage see them: an unreachable or slow server is UNAVAILABLE (worth
/// a retry), anything else INTERNAL with the server's words.
extension TarantoolError: RPCErrorConvertible {
    package var rpcError: RPCError {
        switch self {
        case .unavailable, .timedOut: RPCError(.unavailable, "storage backend: \(description)")
        case .server, .protocolViolation: RPCError(.internal, "storage backend: \(description)")
        }
    }
}
