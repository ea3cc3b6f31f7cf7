package import Contracts
internal import Domain
internal import ServiceKit
package import RPCCore

/// `gateway.v1.Analyses`: submitting analyses (jobs in storage's queue) and following them.
struct AnalysesAPI: Sendable {
    let storage: RPCClient
    let ogrn: OGRNResolver

    private typealias Method = GatewayV1.Analyses.Method
    private typealias Jobs = StorageV1.Jobs.Method

    func register(in router: inout RPCRouter) {
        router.registerUnary(Method.Submit.self) { request, _ in ServerResponse(try await submit(request)) }
        router.registerUnary(Method.SubmitPrompt.self) { request, _ in ServerResponse(try await submitPrompt(request)) }
        router.registerUnary(Method.GetJob.self) { request, _ in
            let job = try await storage.unary(Jobs.GetJob.self, .with { $0.jobId = try EdgeValidation.id(request.jobId, "job_id") })
            return ServerResponse(.with { $0.job = job.message.job })
        }
        router.registerServerStreaming(Method.WatchJob.self) { request, writer, _ in
            _ = try EdgeValidation.id(request.jobId, "job_id")
            guard request.afterSequence >= 0 else { throw EdgeValidation.invalid("after_sequence", "must not be negative") }
            let forward = StorageV1.WatchJobRequest.with {
                $0.jobId = request.jobId
                $0.afterSequence = request.afterSequence
            }
            _ = try await storage.streaming(Jobs.WatchJob.self, [forward]) { events in
                for try await event in events { try await writer.write(event) }
            }
            return [:]
        }
        router.registerUnary(Method.CancelJob.self) { request, _ in
            let id = try EdgeValidation.id(request.jobId, "job_id")
            try EdgeValidation.text(request.reason, "reason", maxBytes: 1000)
            AuditTrail.note(target: id)
            let reason = request.reason.isEmpty ? "cancelled by \(Caller.current?.keyID ?? "?")" : request.reason
            let job = try await storage.unary(Jobs.Cancel.self, .with {
                $0.jobId = id
                $0.reason = reason
            })
            return ServerResponse(.with { $0.job = job.message.job })
        }
        router.registerUnary(Method.ListJobs.self) { request, _ in
            for (index, state) in request.states.enumerated() { try EdgeValidation.known(state, "states[\(index)]") }
            if !request.inn.isEmpty { _ = try EdgeValidation.inn(request.inn, "inn") }
            try EdgeValidation.page(request.page)
            let response = try await storage.unary(Jobs.ListJobs.self, .with {
                $0.states = request.states
                $0.inn = request.inn
                $0.page = request.page
            })
            return ServerResponse(.with {
                $0.jobs = response.message.jobs
                $0.page = response.message.page
            })
        }
    }

    func submit(_ request: GatewayV1.SubmitAnalysisRequest) async throws -> GatewayV1.SubmitAnalysisResponse {
        var given = request.request
        if let ogrn = given?.ogrn, !ogrn.isEmpty, given?.inn.isEmpty == true {
            given?.inn = try await self.ogrn.inn(of: ogrn, "request.ogrn")
        }
        let analysis = try EdgeValidation.analysis(given, "request")
        try EdgeValidation.text(request.idempotencyKey, "idempotency_key", maxBytes: 200)
        try EdgeValidation.runAt(request.runAtMs, "run_at_ms", now: UnixTime.nowMilliseconds)
        return try await enqueue(
            analysis, idempotencyKey: request.idempotencyKey, runAtMs: request.runAtMs, coalesce: !request.force && request.runAtMs == 0 && request.idempotencyKey.isEmpty)
    }

    func submitPrompt(_ request: GatewayV1.AnalyzePromptRequest) async throws -> GatewayV1.SubmitAnalysisResponse {
        try EdgeValidation.text(request.prompt, "prompt", maxBytes: 4000)
        let found = INN.find(in: request.prompt)
        guard let inn = found.first else {
            throw EdgeValidation.invalid("prompt", "no valid INN (10 or 12 digits with a correct checksum) in the text")
        }
        guard found.count == 1 else { throw EdgeValidation.invalid("prompt", "several INNs (\(found.joined(separator: ", "))); name one") }
        try EdgeValidation.text(request.idempotencyKey, "idempotency_key", maxBytes: 200)
        let analysis = CommonV1.AnalysisRequest.with {
            $0.inn = inn
            $0.notes = request.prompt
        }
        return try await enqueue(analysis, idempotencyKey: request.idempotencyKey, runAtMs: 0, coalesce: request.idempotencyKey.isEmpty)
    }

    /// `coalesce`: an identical request already queued or running returns that job instead of a new one (a
    /// submission without an idempotency key; with one, the key decides).
    func enqueue(
        _ analysis: CommonV1.AnalysisRequest, idempotencyKey: String, runAtMs: Int64, coalesce: Bool = false
    ) async throws -> GatewayV1.SubmitAnalysisResponse {
        // The key is scoped to the caller: two callers choosing the same key get separate jobs.
        let caller = Caller.current?.keyID ?? ""
        let scopedKey = idempotencyKey.isEmpty ? "" : "\(caller):\(idempotencyKey)"
        let response: RPCClient.Response<StorageV1.EnqueueResponse>
        do {
            response = try await storage.unary(Jobs.Enqueue.self, .with {
                $0.request = analysis
                $0.idempotencyKey = scopedKey
                $0.notBeforeMs = runAtMs
                $0.submittedBy = caller
                $0.labels = ["via": "gateway"]
                $0.coalesce = coalesce
            })
        } catch let error as RPCError where error.code == .alreadyExists {
            // Storage names the key as it keeps it; the caller knows it without the key-id scope.
            throw RPCError(.alreadyExists, error.message.replacing("\"\(scopedKey)\"", with: "\"\(idempotencyKey)\""))
        }
        let job = response.message.job ?? CommonV1.Job()
        AuditTrail.note(target: job.id, details: ["inn": analysis.inn, "created": String(response.message.created)])
        return .with {
            $0.job = job
            $0.created = response.message.created
        }
    }
}
