package import Contracts
package import RPCCore

/// `clientanalyze.storage.v1.Access`: the gateway's API keys (only SHA-256 hashes of their secrets are ever
/// stored) and the audit log.
package struct AccessService: Sendable {
    private let store: any AccessStore
    private let now: @Sendable () -> Int64

    package init(store: any AccessStore, now: @escaping @Sendable () -> Int64) {
        self.store = store
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
            let keys = try await store.keys(includeRevoked: request.includeRevoked)
            return ServerResponse(.with { $0.keys = keys })
        }
        router.registerUnary(Method.RevokeApiKey.self) { request, _ in
            let key = try await revoke(try Validate.nonEmpty(request.id, "id"))
            return ServerResponse(.with { $0.key = key })
        }
        router.registerUnary(Method.TouchApiKey.self) { request, _ in
            try await touch(try Validate.nonEmpty(request.id, "id"))
            return ServerResponse(StorageV1.TouchApiKeyResponse())
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
        try await store.putKey(key)
        return key
    }

    package func get(_ request: StorageV1.GetApiKeyRequest) async throws -> StorageV1.ApiKey {
        let found: StorageV1.ApiKey?
        switch request.lookup {
        case .id(let id)?: found = try await store.key(id: try Validate.nonEmpty(id, "id"))
        case .secretHash(let hash)?: found = try await store.key(secretHash: try Validate.nonEmpty(hash, "secret_hash"))
        case nil: throw RPCError(.invalidArgument, "lookup: set id or secret_hash")
        }
        guard let found else { throw RPCError(.notFound, "API key not found") }
        return found
    }

    /// Idempotent: revoking a revoked key returns it unchanged.
    /// The key was used now (`last_used_at_ms`); an unknown key is not an error: it may have been deleted.
    package func touch(_ id: String) async throws {
        try await store.touchKey(id: id, at: now())
    }

    package func revoke(_ id: String) async throws -> StorageV1.ApiKey {
        let key = try await store.revokeKey(id: id, now: now())
        guard let key else { throw RPCError(.notFound, "API key \(id) not found") }
        return key
    }

    package func append(_ record: StorageV1.AuditRecord?) async throws -> String {
        guard var record else { throw RPCError(.invalidArgument, "record: must be set") }
        _ = try Validate.nonEmpty(record.action, "record.action")
        let time = now()
        record.id = RecordID.make("a", now: time)
        if record.atMs == 0 { record.atMs = time }
        try await store.appendAudit(record)
        return record.id
    }

    package func listAudit(_ request: StorageV1.ListAuditRequest) async throws -> StorageV1.ListAuditResponse {
        let page = try PageRequest(request.page, cursorPrefix: "a1.")
        let query = AuditQuery(actor: request.actor, actionPrefix: request.actionPrefix, fromMs: request.fromMs, toMs: request.toMs)
        let records = try await store.audit(query, before: page.after, limit: page.limit)
        return .with { response in
            response.records = Array(records.prefix(page.size))
            response.page = .with {
                $0.nextCursor = page.nextCursor(records, key: \.id)
            }
        }
    }
}
