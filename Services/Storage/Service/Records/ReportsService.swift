package import Contracts
package import RPCCore

/// `clientanalyze.storage.v1.Reports`: report versions within threads. Served so far: PutReport, GetReport,
/// GetLatestReport, ListReports and DeleteReports; the others (compare, stats, timeline, export, documents)
/// are not registered yet and answer UNIMPLEMENTED.
package struct ReportsService: Sendable {
    private let store: SQLiteRecordStore
    private let now: @Sendable () -> Int64

    package init(store: SQLiteRecordStore, now: @escaping @Sendable () -> Int64) {
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
        guard let report = request.report else { throw RPCError(.invalidArgument, "report: must be set") }
        if report.threadId.isEmpty { _ = try Validate.inn(report.inn, "report.inn") }
        let (stored, created) = try await store.putReport(report, jobID: request.jobId, now: now())
        return .with {
            $0.report = stored
            $0.created = created
        }
    }

    package func listReports(_ request: StorageV1.ListReportsRequest) async throws -> StorageV1.ListReportsResponse {
        let page = try PageRequest(request.page, cursorPrefix: "r1.")
        let reports = try await store.listReports(try RecordFilter(request.filter), before: page.after, limit: page.size + 1)
        return .with { response in
            response.reports = Array(reports.prefix(page.size))
            response.page = .with {
                $0.nextCursor = reports.count > page.size ? PageRequest.cursor(after: reports[page.size - 1].id, prefix: "r1.") : ""
            }
        }
    }
}
