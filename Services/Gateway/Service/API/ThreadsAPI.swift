internal import Foundation
package import Contracts
package import RPCCore
internal import Domain

/// `gateway.v1.Threads`: all versions of one subject, and feedback that may start the next version.
struct ThreadsAPI: Sendable {
    let storage: RPCClient
    let analyses: AnalysesAPI
    var ogrn: OGRNResolver { analyses.ogrn }

    private typealias Method = GatewayV1.Threads.Method
    private typealias Store = StorageV1.Threads.Method

    func register(in router: inout RPCRouter) {
        router.registerUnary(Method.GetThread.self) { request, _ in
            let key: StorageV1.GetThreadRequest.Key
            switch request.key {
            case .id(let id)?: key = .id(try EdgeValidation.id(id, "id"))
            case .inn(let inn)?: key = .inn(try EdgeValidation.inn(inn, "inn"))
            case .ogrn(let number)?: key = .inn(try await ogrn.inn(of: number, "ogrn"))
            case nil: throw EdgeValidation.invalid("key", "set id, inn or ogrn")
            }
            let thread = try await storage.unary(Store.GetThread.self, .with { $0.key = key }).message
            let threadID = thread.thread?.id ?? ""
            let feedback = try await storage.unary(StorageV1.FeedbackStore.Method.ListFeedback.self, .with {
                $0.key = .threadId(threadID)
                $0.page = .with { $0.pageSize = 1000 }
            }).message
            return ServerResponse(.with {
                $0.thread = thread.thread
                $0.reports = thread.reports
                $0.feedback = feedback.feedback
            })
        }
        router.registerUnary(Method.ListThreads.self) { request, _ in
            try EdgeValidation.filter(request.filter)
            try EdgeValidation.page(request.page)
            let response = try await storage.unary(Store.ListThreads.self, .with {
                $0.filter = request.filter
                $0.page = request.page
            }).message
            return ServerResponse(.with {
                $0.threads = response.threads
                $0.page = response.page
            })
        }
        router.registerUnary(Method.SearchThreads.self) { request, _ in
            guard !request.query.trimmingCharacters(in: .whitespaces).isEmpty else { throw EdgeValidation.invalid("query", "must be set") }
            try EdgeValidation.text(request.query, "query", maxBytes: 300)
            try EdgeValidation.page(request.page)
            // A query that is an OGRN finds the company's thread by the INN it resolves to.
            let words = request.query.trimmingCharacters(in: .whitespaces)
            let query = OGRN.isValid(words) ? try await ogrn.inn(of: words, "query") : request.query
            let response = try await storage.unary(Store.SearchThreads.self, .with {
                $0.query = query
                $0.page = request.page
            }).message
            return ServerResponse(.with {
                $0.threads = response.threads
                $0.page = response.page
            })
        }
        router.registerUnary(Method.CountThreads.self) { request, _ in
            try EdgeValidation.filter(request.filter)
            let response = try await storage.unary(Store.CountThreads.self, .with { $0.filter = request.filter }).message
            return ServerResponse(.with { $0.count = response.count })
        }
        router.registerUnary(Method.DeleteThread.self) { request, _ in
            let id = try EdgeValidation.id(request.id, "id")
            AuditTrail.note(target: id)
            let response = try await storage.unary(Store.DeleteThread.self, .with { $0.id = id }).message
            return ServerResponse(.with {
                $0.reportsDeleted = response.reportsDeleted
                $0.jobsDeleted = response.jobsDeleted
            })
        }
        router.registerUnary(Method.SubmitFeedback.self) { request, _ in ServerResponse(try await submitFeedback(request)) }
        router.registerUnary(Method.ListFeedback.self) { request, _ in
            var forwarded = request
            switch request.key {
            case .reportId(let id)?: forwarded.key = .reportId(try EdgeValidation.id(id, "report_id"))
            case .threadId(let id)?: forwarded.key = .threadId(try EdgeValidation.id(id, "thread_id"))
            case nil: throw EdgeValidation.invalid("key", "set report_id or thread_id")
            }
            try EdgeValidation.page(request.page)
            return ServerResponse(try await storage.unary(StorageV1.FeedbackStore.Method.ListFeedback.self, forwarded).message)
        }
    }

    /// Stores the feedback; with `rerun` first queues version n+1 with the feedback applied (the named
    /// sources refreshed, the comment passed to the narrative) and links the feedback to that job.
    func submitFeedback(_ request: GatewayV1.SubmitFeedbackRequest) async throws -> GatewayV1.SubmitFeedbackResponse {
        guard var feedback = request.feedback else { throw EdgeValidation.invalid("feedback", "must be set") }
        _ = try EdgeValidation.id(feedback.reportId, "feedback.report_id")
        try EdgeValidation.known(feedback.rating, "feedback.rating")
        try EdgeValidation.text(feedback.comment, "feedback.comment", maxBytes: 4000)
        for (name, values) in [("focus_areas", feedback.focusAreas), ("issue_tags", feedback.issueTags)] {
            guard values.count <= 20 else { throw EdgeValidation.invalid("feedback.\(name)", "at most 20, got \(values.count)") }
            for (index, value) in values.enumerated() { try EdgeValidation.text(value, "feedback.\(name)[\(index)]", maxBytes: 200) }
        }
        for (index, source) in feedback.refreshSources.enumerated() { try EdgeValidation.known(source, "feedback.refresh_sources[\(index)]") }
        let report = try await storage.unary(StorageV1.Reports.Method.GetReport.self, .with { $0.id = feedback.reportId }).message.report
            ?? CommonV1.Report()
        feedback.threadId = report.threadId
        feedback.author = Caller.current?.keyID ?? ""
        feedback.id = ""
        feedback.rerunJobId = ""
        AuditTrail.note(target: report.id, details: ["rerun": String(feedback.rerun)])

        var rerunJob: CommonV1.Job?
        if feedback.rerun {
            let analysis = CommonV1.AnalysisRequest.with {
                $0.inn = report.inn
                $0.clientName = report.clientName
                $0.notes = report.notes
                $0.parentReportId = report.id
                $0.feedback = feedback
                $0.options = .with { $0.refreshSources = feedback.refreshSources }
            }
            rerunJob = try await analyses.enqueue(analysis, idempotencyKey: "", runAtMs: 0).job
            feedback.rerunJobId = rerunJob?.id ?? ""
        }
        let stored = try await storage.unary(StorageV1.FeedbackStore.Method.AddFeedback.self, .with { $0.feedback = feedback }).message
        return .with {
            $0.feedback = stored.feedback
            $0.rerunJob = rerunJob
        }
    }
}
