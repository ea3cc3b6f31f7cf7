package import Contracts
package import RPCCore

/// `gateway.v1.Sources` (raw provider look-ups, the scoring model) and `gateway.v1.Admin` (cache, dead
/// letters, API keys, audit log, provider and queue status).
struct AdminAPI: Sendable {
    let storage: RPCClient
    let analyzer: RPCClient
    let keys: KeyRing

    private typealias Admin = GatewayV1.Admin.Method

    func register(in router: inout RPCRouter) {
        router.registerUnary(GatewayV1.Sources.Method.Lookup.self) { request, _ in
            _ = try EdgeValidation.inn(request.inn, "inn")
            try EdgeValidation.known(request.source, "source")
            return ServerResponse(try await analyzer.unary(AnalyzerV1.Analyzer.Method.LookupSource.self, request).message)
        }
        router.registerUnary(GatewayV1.Sources.Method.DescribeScoringModel.self) { request, _ in
            ServerResponse(try await analyzer.unary(AnalyzerV1.Analyzer.Method.DescribeScoringModel.self, request).message)
        }

        router.registerUnary(Admin.ListCache.self) { request, _ in
            try EdgeValidation.text(request.prefix, "prefix", maxBytes: 512)
            try EdgeValidation.page(request.page)
            return ServerResponse(try await storage.unary(StorageV1.Cache.Method.List.self, request).message)
        }
        router.registerUnary(Admin.CacheStats.self) { request, _ in
            ServerResponse(try await storage.unary(StorageV1.Cache.Method.Stats.self, request).message)
        }
        router.registerUnary(Admin.DeleteCache.self) { request, _ in
            switch request.target {
            case .key(let key)?: AuditTrail.note(target: try EdgeValidation.id(key, "key"))
            case .prefix(let prefix)?:
                guard !prefix.isEmpty else { throw EdgeValidation.invalid("prefix", "must not be empty") }
                AuditTrail.note(target: prefix + "*")
            case nil: throw EdgeValidation.invalid("target", "set key or prefix")
            }
            return ServerResponse(try await storage.unary(StorageV1.Cache.Method.Delete.self, request).message)
        }
        router.registerUnary(Admin.ListDeadLetters.self) { request, _ in
            try EdgeValidation.page(request.page)
            return ServerResponse(try await storage.unary(StorageV1.Jobs.Method.ListDeadLetters.self, request).message)
        }
        router.registerUnary(Admin.ReplayDeadLetters.self) { request, _ in
            try Self.selection(request.jobIds, all: request.all)
            AuditTrail.note(target: request.all ? "all" : request.jobIds.joined(separator: ","))
            return ServerResponse(try await storage.unary(StorageV1.Jobs.Method.ReplayDeadLetters.self, request).message)
        }
        router.registerUnary(Admin.PurgeDeadLetters.self) { request, _ in
            try Self.selection(request.jobIds, all: request.all)
            AuditTrail.note(target: request.all ? "all" : request.jobIds.joined(separator: ","))
            return ServerResponse(try await storage.unary(StorageV1.Jobs.Method.PurgeDeadLetters.self, request).message)
        }
        router.registerUnary(Admin.CreateApiKey.self) { request, _ in ServerResponse(try await createKey(request)) }
        router.registerUnary(Admin.ListApiKeys.self) { request, _ in
            var response = try await storage.unary(StorageV1.Access.Method.ListApiKeys.self, request).message
            // The hash is storage's business: outside the gateway it would only help guess secrets offline.
            for index in response.keys.indices { response.keys[index].secretHash = "" }
            return ServerResponse(response)
        }
        router.registerUnary(Admin.RevokeApiKey.self) { request, _ in
            let id = try EdgeValidation.id(request.id, "id")
            AuditTrail.note(target: id)
            let response = try await storage.unary(StorageV1.Access.Method.RevokeApiKey.self, request).message
            keys.forget(id: id)
            return ServerResponse(response)
        }
        router.registerUnary(Admin.ListAudit.self) { request, _ in
            try EdgeValidation.text(request.actor, "actor", maxBytes: 128)
            try EdgeValidation.text(request.actionPrefix, "action_prefix", maxBytes: 200)
            try EdgeValidation.page(request.page)
            return ServerResponse(try await storage.unary(StorageV1.Access.Method.ListAudit.self, request).message)
        }
        router.registerUnary(Admin.ProviderStatus.self) { _, _ in
            let worker = try await analyzer.unary(AnalyzerV1.Analyzer.Method.WorkerStatus.self, .init()).message
            return ServerResponse(.with { response in
                response.providers = worker.breakers.sorted { $0.key < $1.key }.map { provider, state in
                    CommonV1.SourceStatus.with {
                        $0.source = Self.source(named: provider)
                        $0.state = state == "closed" ? .ok : .circuitOpen
                        $0.reason = "circuit breaker \(state)"
                    }
                }
            })
        }
        router.registerUnary(Admin.QueueDepth.self) { request, _ in
            ServerResponse(try await storage.unary(StorageV1.Jobs.Method.QueueDepth.self, request).message)
        }
    }

    private static func selection(_ ids: [String], all: Bool) throws {
        guard all != !ids.isEmpty else { throw EdgeValidation.invalid("job_ids", "name the jobs, or set all (not both)") }
        for (index, id) in ids.enumerated() { _ = try EdgeValidation.id(id, "job_ids[\(index)]") }
    }

    private static func source(named name: String) -> CommonV1.Source {
        CommonV1.Source.knownCases.first { $0.protoName.lowercased() == "source_" + name.lowercased() } ?? .unspecified
    }

    /// A new key: the secret is generated here, returned once, and only its hash reaches storage.
    func createKey(_ request: GatewayV1.CreateApiKeyRequest) async throws -> GatewayV1.CreateApiKeyResponse {
        guard !request.name.isEmpty else { throw EdgeValidation.invalid("name", "must be set") }
        try EdgeValidation.text(request.name, "name", maxBytes: 200)
        try EdgeValidation.known(request.role, "role")
        guard request.rateLimitPerMinute >= 0 else { throw EdgeValidation.invalid("rate_limit_per_minute", "must be ≥ 0 (0: the default)") }
        let secret = ApiKeySecret.generate()
        var key = try await storage.unary(StorageV1.Access.Method.PutApiKey.self, .with {
            $0.key = .with {
                $0.id = secret.id
                $0.name = request.name
                $0.role = request.role
                $0.secretHash = secret.hash
                $0.rateLimitPerMinute = request.rateLimitPerMinute
            }
        }).message.key
        key?.secretHash = ""
        AuditTrail.note(target: secret.id, details: ["role": AccessPolicy.name(request.role), "name": request.name])
        return .with {
            $0.key = key
            $0.secret = secret.token
        }
    }
}
