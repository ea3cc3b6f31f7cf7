package import Contracts
package import RPCCore
internal import ReportChanges

/// `clientanalyze.storage.v1.Reports`: report versions within threads, their comparison, statistics,
/// timeline and export (the document methods are `DocumentsService`).
package struct ReportsService: Sendable {
    private let store: any RecordStore
    private let now: @Sendable () -> Int64

    package init(store: any RecordStore, now: @escaping @Sendable () -> Int64) {
        self.store = store
        self.now = now
    }

    private typealias Method = StorageV1.Reports.Method

    package func register(in router: inout RPCRouter) {
        router.registerUnary(Method.PutReport.self) { request, _ in ServerResponse(try await putReport(request)) }
        router.registerUnary(Method.GetReport.self) { request, _ in
            guard let report = try await store.report(id: try Validate.nonEmpty(request.id, "id")) else {
                throw RPCError(.notFound, "report \(request.id) not found")
            }
            return ServerResponse(.with { $0.report = report })
        }
        router.registerUnary(Method.GetLatestReport.self) { request, _ in
            let report: CommonV1.Report?
            switch request.key {
            case .threadId(let id)?: report = try await store.latestReport(threadID: try Validate.nonEmpty(id, "thread_id"), inn: nil)
            case .inn(let inn)?: report = try await store.latestReport(threadID: nil, inn: try Validate.inn(inn, "inn"))
            case nil: throw RPCError(.invalidArgument, "key: set thread_id or inn")
            }
            guard let report else { throw RPCError(.notFound, "no report for this thread") }
            return ServerResponse(.with { $0.report = report })
        }
        router.registerUnary(Method.ListReports.self) { request, _ in ServerResponse(try await listReports(request)) }
        router.registerUnary(Method.CompareReports.self) { request, _ in ServerResponse(try await compare(request)) }
        router.registerUnary(Method.ReportStats.self) { request, _ in
            guard (-14 * 60...14 * 60).contains(request.utcOffsetMinutes) else {
                throw RPCError(.invalidArgument, "utc_offset_minutes: must be from -840 to 840, got \(request.utcOffsetMinutes)")
            }
            let stats = try await store.stats(try RecordFilter(request.filter), utcOffsetMinutes: request.utcOffsetMinutes, now: now())
            return ServerResponse(.with { $0.stats = stats })
        }
        router.registerUnary(Method.ReportTimeline.self) { request, _ in
            let days = request.days == 0 ? 30 : Int(request.days)
            guard (1...366).contains(days) else { throw RPCError(.invalidArgument, "days: must be from 1 to 366, got \(request.days)") }
            let points = try await store.timeline(try RecordFilter(request.filter), days: days, now: now())
            return ServerResponse(.with { $0.points = points })
        }
        router.registerServerStreaming(Method.ExportReports.self) { request, writer, _ in
            try await export(request) { try await writer.write($0) }
            return [:]
        }
        router.registerUnary(Method.DeleteReports.self) { request, _ in
            guard !request.ids.isEmpty, request.ids.count <= 1000 else {
                throw RPCError(.invalidArgument, "ids: give 1 to 1000 report ids, got \(request.ids.count)")
            }
            let (deleted, notFound) = try await store.deleteReports(ids: request.ids, now: now())
            return ServerResponse(.with {
                $0.deleted = deleted
                $0.notFound = notFound
            })
        }
    }

    package func putReport(_ request: StorageV1.PutReportRequest) async throws -> StorageV1.PutReportResponse {
        guard var report = request.report else { throw RPCError(.invalidArgument, "report: must be set") }
        if report.threadId.isEmpty { _ = try Validate.inn(report.inn, "report.inn") }
        try await identifyAppliedFeedback(in: &report, jobID: request.jobId)
        try await compareWithPrevious(&report)
        let (stored, created) = try await store.putReport(report, jobID: request.jobId, now: now())
        return .with {
            $0.report = stored
            $0.created = created
        }
    }

    /// A new analysis of a company analysed before follows its latest version: that version is its parent, and
    /// what changed since is its diff (monitoring's events). A re-run comes with both from the analyzer.
    private func compareWithPrevious(_ report: inout CommonV1.Report) async throws {
        guard report.diffFromParent == nil, report.parentReportId.isEmpty else { return }
        let byThread = !report.threadId.isEmpty
        guard let previous = try await store.latestReport(threadID: byThread ? report.threadId : nil, inn: byThread ? nil : report.inn) else { return }
        report.parentReportId = previous.id
        report.diffFromParent = ReportComparison.diff(base: previous, report: report)
    }

    /// The feedback that queued a re-run is stored after its job (the job id is part of it), so the job carries
    /// it without an id; the stored feedback on the parent naming this job supplies it.
    private func identifyAppliedFeedback(in report: inout CommonV1.Report, jobID: String) async throws {
        guard let applied = report.appliedFeedback, applied.id.isEmpty, !jobID.isEmpty else { return }
        let parentID = applied.reportId.isEmpty ? report.parentReportId : applied.reportId
        guard !parentID.isEmpty else { return }
        let given = try await store.listFeedback(reportID: parentID, threadID: nil, before: nil, limit: 1000)
        guard let stored = given.first(where: { $0.rerunJobId == jobID }) else { return }
        report.appliedFeedback = stored
    }

    package func listReports(_ request: StorageV1.ListReportsRequest) async throws -> StorageV1.ListReportsResponse {
        let page = try PageRequest(request.page, cursorPrefix: "r1.")
        let reports = try await store.listReports(try RecordFilter(request.filter), before: page.after, limit: page.limit)
        return .with { response in
            response.reports = Array(reports.prefix(page.size))
            response.page = .with {
                $0.nextCursor = page.nextCursor(reports, key: \.id)
            }
        }
    }

    package func compare(_ request: StorageV1.CompareReportsRequest) async throws -> StorageV1.CompareReportsResponse {
        let baseID = try Validate.nonEmpty(request.baseReportId, "base_report_id")
        let reportID = try Validate.nonEmpty(request.reportId, "report_id")
        guard let base = try await store.report(id: baseID) else { throw RPCError(.notFound, "base_report_id: report \(baseID) not found") }
        guard let report = try await store.report(id: reportID) else { throw RPCError(.notFound, "report_id: report \(reportID) not found") }
        return .with { $0.diff = ReportComparison.diff(base: base, report: report) }
    }

    /// The matching report summaries as JSON (an array of objects) or CSV (a header row, then one row per
    /// report), newest first, in chunks; the first chunk names the content type.
    package func export(_ request: StorageV1.ExportReportsRequest, send: (StorageV1.Chunk) async throws -> Void) async throws {
        let filter = try RecordFilter(request.filter)
        let csv: Bool
        switch request.format {
        case .json: csv = false
        case .csv: csv = true
        default: throw RPCError(.invalidArgument, "format: must be JSON or CSV")
        }
        var first = true
        var anyRow = false
        func emit(_ text: String) async throws {
            try await send(.with {
                $0.data = Array(text.utf8)
                if first { $0.contentType = csv ? "text/csv; charset=utf-8" : "application/json" }
            })
            first = false
        }
        try await emit(csv ? ReportExport.csvHeader : "[")
        try await store.allReports(filter) { page in
            var text = ""
            for summary in page {
                if csv {
                    text += ReportExport.csvRow(summary)
                } else {
                    text += (anyRow ? ",\n" : "\n") + ReportExport.json(summary)
                }
                anyRow = true
            }
            try await emit(text)
        }
        if !csv { try await emit(anyRow ? "\n]\n" : "]\n") }
    }
}
