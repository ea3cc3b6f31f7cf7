import Contracts
import Foundation
import RPCCore
import Testing

/// Keys, roles, rate limits, the audit log, edge validation and the admin API, through the gateway of an
/// in-process stack.
@Suite(.serialized) struct GatewayAccessTests {
    private typealias Analyses = GatewayV1.Analyses.Method
    private typealias Reports = GatewayV1.Reports.Method
    private typealias Threads = GatewayV1.Threads.Method
    private typealias Admin = GatewayV1.Admin.Method
    private typealias Sources = GatewayV1.Sources.Method

    static let inn = GatewayAPITests.inn

    @Test("calls without a valid key are UNAUTHENTICATED, saying why; probes need none")
    func authentication() async throws {
        try await InProcessStack.run(analyzerRuns: false) { stack in
            let list = GatewayV1.ListJobsRequest()
            let cases: [(Metadata, String)] = [
                ([:], "missing API key"),
                (["authorization": "Basic abc"], "must be \"Bearer <API key>\""),
                (["authorization": "Bearer nope"], "malformed"),
                (InProcessStack.bearer("cla_unknown_0123456789abcdef0123"), "not valid"),
                (InProcessStack.bearer(String(stack.adminKey.dropLast()) + "x"), "not valid"),
            ]
            for (metadata, message) in cases {
                let error = await #expect(throws: RPCError.self) { try await stack.gateway.unary(Analyses.ListJobs.self, list, metadata: metadata) }
                #expect(error?.code == .unauthenticated && error?.message.contains(message) == true, "\(metadata): \(error?.message ?? "")")
            }
            _ = try await stack.gateway.unary(GrpcHealthV1.Health.Method.Check.self, .init())
        }
    }

    @Test("a viewer reads but may not submit; a revoked key stops working at once")
    func rolesAndRevocation() async throws {
        try await InProcessStack.run(analyzerRuns: false) { stack in
            let viewer = try await stack.key(.viewer, name: "читатель")
            _ = try await stack.gateway.unary(Analyses.ListJobs.self, .init(), metadata: InProcessStack.bearer(viewer))
            let denied = await #expect(throws: RPCError.self) {
                try await stack.gateway.unary(Analyses.Submit.self, .with { $0.request = .with { $0.inn = Self.inn } }, metadata: InProcessStack.bearer(viewer))
            }
            #expect(denied?.code == .permissionDenied && denied?.message.contains("needs the analyst role") == true)

            let keys = try await stack.gateway.unary(Admin.ListApiKeys.self, .init(), metadata: stack.admin).message.keys
            let record = try #require(keys.first { $0.name == "читатель" })
            #expect(record.role == .viewer && !viewer.contains(record.secretHash))
            _ = try await stack.gateway.unary(Admin.RevokeApiKey.self, .with { $0.id = record.id }, metadata: stack.admin)
            let revoked = await #expect(throws: RPCError.self) {
                try await stack.gateway.unary(Analyses.ListJobs.self, .init(), metadata: InProcessStack.bearer(viewer))
            }
            #expect(revoked?.code == .unauthenticated && revoked?.message.contains("revoked") == true)

            // Every mutating call is in the audit log, the refused one included.
            let audit = try await stack.gateway.unary(Admin.ListAudit.self, .with { $0.actionPrefix = "gateway.v1." }, metadata: stack.admin).message.records
            let outcomes = Set(audit.map { "\($0.action) \($0.outcome)" })
            #expect(outcomes.contains("gateway.v1.Analyses/Submit PERMISSION_DENIED"))
            #expect(outcomes.contains("gateway.v1.Admin/RevokeApiKey OK"))
            #expect(audit.contains { $0.action == "gateway.v1.Admin/CreateApiKey" && $0.details["role"] == "viewer" })
        }
    }

    @Test("a key's own rate limit ends in RESOURCE_EXHAUSTED with retry-after")
    func rateLimit() async throws {
        try await InProcessStack.run(analyzerRuns: false) { stack in
            let key = InProcessStack.bearer(try await stack.key(.viewer, ratePerMinute: 2))
            for _ in 0..<2 { _ = try await stack.gateway.unary(Analyses.ListJobs.self, .init(), metadata: key) }
            let limited = await #expect(throws: RPCError.self) { try await stack.gateway.unary(Analyses.ListJobs.self, .init(), metadata: key) }
            #expect(limited?.code == .resourceExhausted && limited?.message.contains("2 requests per minute") == true)
            #expect(Int(limited?.metadata.string("retry-after") ?? "") ?? 0 >= 1)
            _ = try await stack.gateway.unary(Analyses.ListJobs.self, .init(), metadata: stack.admin)  // others are unaffected
        }
    }

    @Test("bad input is INVALID_ARGUMENT naming the field, before any other service sees it")
    func edgeValidation() async throws {
        try await InProcessStack.run(analyzerRuns: false) { stack in
            let gateway = stack.gateway, admin = stack.admin
            func invalid(_ expected: String, _ call: () async throws -> Void) async {
                let error = await #expect(throws: RPCError.self) { try await call() }
                #expect(error?.code == .invalidArgument && error?.message.hasPrefix(expected) == true, "\(error?.message ?? "no error")")
            }
            await invalid("request.inn: checksum digit 10 must be 3, got 4") {
                _ = try await gateway.unary(Analyses.Submit.self, .with { $0.request = .with { $0.inn = "7707083894" } }, metadata: admin)
            }
            await invalid("request: must be set") { _ = try await gateway.unary(Analyses.Submit.self, .init(), metadata: admin) }
            await invalid("request.options.sources[0]: unknown value") {
                _ = try await gateway.unary(Analyses.Submit.self, .with {
                    $0.request = .with { $0.inn = Self.inn; $0.options = .with { $0.sources = [.unspecified] } }
                }, metadata: admin)
            }
            await invalid("run_at_ms") {
                _ = try await gateway.unary(Analyses.Submit.self, .with { $0.request = .with { $0.inn = Self.inn }; $0.runAtMs = -1 }, metadata: admin)
            }
            await invalid("prompt: no valid INN") {
                _ = try await gateway.unary(Analyses.SubmitPrompt.self, .with { $0.prompt = "проверь ООО Ромашка" }, metadata: admin)
            }
            await invalid("prompt: several INNs") {
                _ = try await gateway.unary(Analyses.SubmitPrompt.self, .with { $0.prompt = "7705123452 или 7707083893" }, metadata: admin)
            }
            await invalid("job_id: must be set") { _ = try await gateway.unary(Analyses.GetJob.self, .init(), metadata: admin) }
            await invalid("reason: control characters") {
                _ = try await gateway.unary(Analyses.CancelJob.self, .with { $0.jobId = "j1"; $0.reason = "a\u{7}" }, metadata: admin)
            }
            await invalid("states[0]: unknown value") {
                _ = try await gateway.unary(Analyses.ListJobs.self, .with { $0.states = [.unspecified] }, metadata: admin)
            }
            await invalid("page.page_size: must be 0–1000") {
                _ = try await gateway.unary(Analyses.ListJobs.self, .with { $0.page = .with { $0.pageSize = 5000 } }, metadata: admin)
            }
            await invalid("key: set id or inn") { _ = try await gateway.unary(Reports.GetReport.self, .init(), metadata: admin) }
            await invalid("filter.min_score: must not exceed max_score") {
                _ = try await gateway.unary(Reports.ListReports.self, .with { $0.filter = .with { $0.minScore = 80; $0.maxScore = 20 } }, metadata: admin)
            }
            await invalid("filter.max_score: must be 0–100") {
                _ = try await gateway.unary(Reports.Stats.self, .with { $0.filter = .with { $0.maxScore = 200 } }, metadata: admin)
            }
            await invalid("days: must be 1–366") { _ = try await gateway.unary(Reports.Timeline.self, .with { $0.days = 400 }, metadata: admin) }
            await invalid("report_ids: 2–10 report ids, got 1") {
                _ = try await gateway.unary(Reports.CompareReports.self, .with { $0.reportIds = ["r1"] }, metadata: admin)
            }
            await invalid("ids: 1–1000 report ids, got 0") { _ = try await gateway.unary(Reports.DeleteReports.self, .init(), metadata: admin) }
            await invalid("format: unknown value") {
                _ = try await gateway.streaming(Reports.DownloadReport.self, [.with { $0.reportId = "r1"; $0.format = .init(protoNumber: 99) }], metadata: admin) { chunks in
                    for try await _ in chunks {}
                }
            }
            await invalid("query: must be set") { _ = try await gateway.unary(Threads.SearchThreads.self, .with { $0.query = "  " }, metadata: admin) }
            await invalid("id: must be set") { _ = try await gateway.unary(Threads.DeleteThread.self, .init(), metadata: admin) }
            await invalid("feedback: must be set") { _ = try await gateway.unary(Threads.SubmitFeedback.self, .init(), metadata: admin) }
            await invalid("feedback.rating: unknown value") {
                _ = try await gateway.unary(Threads.SubmitFeedback.self, .with { $0.feedback = .with { $0.reportId = "r1" } }, metadata: admin)
            }
            await invalid("feedback.focus_areas: at most 20") {
                _ = try await gateway.unary(Threads.SubmitFeedback.self, .with {
                    $0.feedback = .with { $0.reportId = "r1"; $0.rating = .accurate; $0.focusAreas = Array(repeating: "court", count: 21) }
                }, metadata: admin)
            }
            await invalid("inn: ") {
                _ = try await gateway.unary(Sources.Lookup.self, .with { $0.source = .dadata; $0.inn = "123" }, metadata: admin)
            }
            await invalid("job_ids: name the jobs, or set all") { _ = try await gateway.unary(Admin.ReplayDeadLetters.self, .init(), metadata: admin) }
            await invalid("target: set key or prefix") { _ = try await gateway.unary(Admin.DeleteCache.self, .init(), metadata: admin) }
            await invalid("prefix: must not be empty") {
                _ = try await gateway.unary(Admin.DeleteCache.self, .with { $0.target = .prefix("") }, metadata: admin)
            }
            await invalid("name: must be set") { _ = try await gateway.unary(Admin.CreateApiKey.self, .with { $0.role = .viewer }, metadata: admin) }
            await invalid("rate_limit_per_minute") {
                _ = try await gateway.unary(Admin.CreateApiKey.self, .with { $0.name = "x"; $0.role = .viewer; $0.rateLimitPerMinute = -1 }, metadata: admin)
            }
            // Nothing of the above reached the queue.
            let depth = try await gateway.unary(Admin.QueueDepth.self, .init(), metadata: admin).message
            #expect(depth.byState.values.reduce(0, +) == 0)
        }
    }

    @Test("admin: the provider cache, dead letters replayed and purged, provider status, the scoring model, a raw look-up")
    func adminAPI() async throws {
        try await InProcessStack.run(storage: ["CLA_JOBS_MAX_ATTEMPTS": "1"], analyzerRuns: false) { stack in
            let gateway = stack.gateway, admin = stack.admin

            // A raw look-up goes to the sandbox through the analyzer and fills the provider cache.
            let lookup = try await gateway.unary(Sources.Lookup.self, .with { $0.source = .dadata; $0.inn = Self.inn }, metadata: admin).message
            guard case .company(let company)? = lookup.result else { Issue.record("no company: \(lookup)"); return }
            #expect(company.inn == Self.inn && lookup.status?.state == .ok)
            let cached = try await gateway.unary(Admin.ListCache.self, .init(), metadata: admin).message.entries
            #expect(!cached.isEmpty)
            let stats = try await gateway.unary(Admin.CacheStats.self, .init(), metadata: admin).message
            #expect(stats.entries == Int64(cached.count))
            let deleted = try await gateway.unary(Admin.DeleteCache.self, .with { $0.target = .key(cached[0].key) }, metadata: admin).message
            #expect(deleted.deleted == 1)

            let model = try await gateway.unary(Sources.DescribeScoringModel.self, .init(), metadata: admin).message
            #expect(!model.rules.isEmpty && !model.categoryWeights.isEmpty)
            let providers = try await gateway.unary(Admin.ProviderStatus.self, .init(), metadata: admin).message.providers
            #expect(providers.contains { $0.source == .dadata && $0.state == .ok })

            // A job that fails on its only attempt is a dead letter; replayed it is queued again, purged it is gone.
            let submitted = try await gateway.unary(Analyses.Submit.self, .with { $0.request = .with { $0.inn = Self.inn } }, metadata: admin).message
            let id = try #require(submitted.job?.id)
            let leased = try await stack.storage.unary(StorageV1.Jobs.Method.Lease.self, .with {
                $0.worker = "test"
                $0.maxJobs = 1
                $0.visibilityTimeoutMs = 10_000
            }).message.jobs
            #expect(leased.map(\.id) == [id])
            _ = try await stack.storage.unary(StorageV1.Jobs.Method.Fail.self, .with {
                $0.jobId = id
                $0.worker = "test"
                $0.error = "провайдер недоступен"
                $0.retriable = true
            })
            let letters = try await gateway.unary(Admin.ListDeadLetters.self, .init(), metadata: admin).message.deadLetters
            #expect(letters.map(\.jobId) == [id] && letters[0].reason.contains("провайдер недоступен"))
            let replayed = try await gateway.unary(Admin.ReplayDeadLetters.self, .with { $0.jobIds = [id] }, metadata: admin).message.jobs
            #expect(replayed.map(\.state) == [.queued])

            _ = try await stack.storage.unary(StorageV1.Jobs.Method.Lease.self, .with { $0.worker = "test"; $0.maxJobs = 1; $0.visibilityTimeoutMs = 10_000 })
            _ = try await stack.storage.unary(StorageV1.Jobs.Method.Fail.self, .with { $0.jobId = id; $0.worker = "test"; $0.error = "снова"; $0.retriable = true })
            let purged = try await gateway.unary(Admin.PurgeDeadLetters.self, .with { $0.all = true }, metadata: admin).message
            #expect(purged.purged == 1)
            let after = try await gateway.unary(Admin.ListDeadLetters.self, .init(), metadata: admin).message.deadLetters
            #expect(after.isEmpty)
        }
    }
}
