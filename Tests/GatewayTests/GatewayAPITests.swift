import Contracts
import Foundation
import RPCCore
import Testing

/// The gateway's gRPC API over the whole stack in one process: each test starts storage, the renderer, the
/// analyzer (against the provider sandbox) and the gateway, and calls the gateway as a client would.
@Suite(.serialized) struct GatewayAPITests {
    private typealias Analyses = GatewayV1.Analyses.Method
    private typealias Reports = GatewayV1.Reports.Method
    private typealias Threads = GatewayV1.Threads.Method
    private typealias Admin = GatewayV1.Admin.Method

    static let inn = "7705123452"  // the sandbox's clean company, «СЕВЕРНЫЙ ВЕТЕР»

    @Test("an INN goes to a stored PDF; the report is found by id and by INN, in lists, stats and exports")
    func analysisToReport() async throws {
        try await InProcessStack.run { stack in
            let job = try await stack.analyse(Self.inn)
            #expect(job.state == .succeeded && !job.reportId.isEmpty)
            let gateway = stack.gateway, admin = stack.admin

            let byID = try await gateway.unary(Reports.GetReport.self, .with { $0.key = .id(job.reportId) }, metadata: admin).message.report
            let byINN = try await gateway.unary(Reports.GetReport.self, .with { $0.key = .inn(Self.inn) }, metadata: admin).message.report
            #expect(byID?.inn == Self.inn && byID?.version == 1 && byINN?.id == job.reportId)
            #expect(byID?.company?.fullName.contains("СЕВЕРНЫЙ ВЕТЕР") == true && byID?.risk?.level == .low)

            let pdf = try await download(stack, job.reportId, .pdf)
            #expect(pdf.fileName == "\(Self.inn)-v1.pdf" && pdf.contentType == "application/pdf")
            #expect(pdf.data.starts(with: Array("%PDF".utf8)) && pdf.data.count > 10_000)
            let html = try await download(stack, job.reportId, .html)
            #expect(html.fileName == "\(Self.inn)-v1.html" && html.contentType.hasPrefix("text/html"))
            #expect(String(decoding: html.data, as: UTF8.self).contains(Self.inn))

            let listed = try await gateway.unary(Reports.ListReports.self, .with { $0.filter = .with { $0.inn = Self.inn } }, metadata: admin).message
            #expect(listed.reports.map(\.id) == [job.reportId])
            let stats = try await gateway.unary(Reports.Stats.self, .init(), metadata: admin).message.stats
            #expect(stats?.totalReports == 1 && stats?.totalThreads == 1)
            let timeline = try await gateway.unary(Reports.Timeline.self, .with { $0.days = 7 }, metadata: admin).message.points
            #expect(timeline.reduce(0) { $0 + $1.count } == 1)

            var csv: [UInt8] = [], fileName = ""
            _ = try await gateway.streaming(Reports.ExportReports.self, [.init()], metadata: admin) { chunks in
                for try await chunk in chunks {
                    if fileName.isEmpty { fileName = chunk.fileName }
                    csv += chunk.data
                }
            }
            let lines = String(decoding: csv, as: UTF8.self).split(whereSeparator: \.isNewline)
            #expect(fileName == "reports.csv" && lines.count == 2 && lines[1].contains(Self.inn))

            let jobs = try await gateway.unary(Analyses.ListJobs.self, .with { $0.inn = Self.inn; $0.states = [.succeeded] }, metadata: admin)
            #expect(jobs.message.jobs.map(\.id) == [job.id])
        }
    }

    @Test("feedback with a re-run makes version 2 in the same thread; compare and the thread show both")
    func feedbackRerun() async throws {
        try await InProcessStack.run { stack in
            let first = try await stack.analyse(Self.inn)
            let gateway = stack.gateway, admin = stack.admin
            let submitted = try await gateway.unary(Threads.SubmitFeedback.self, .with {
                $0.feedback = .with {
                    $0.reportId = first.reportId
                    $0.rating = .inaccurate
                    $0.comment = "проверьте суды"
                    $0.focusAreas = ["court"]
                    $0.refreshSources = [.casebook]
                    $0.rerun = true
                }
            }, metadata: admin).message
            let rerun = try #require(submitted.rerunJob)
            #expect(submitted.feedback?.rerunJobId == rerun.id && submitted.feedback?.author.isEmpty == false)
            let second = try await stack.finished(rerun.id)
            #expect(second.state == .succeeded)

            let v2 = try await gateway.unary(Reports.GetReport.self, .with { $0.key = .id(second.reportId) }, metadata: admin).message.report
            #expect(v2?.version == 2 && v2?.parentReportId == first.reportId)

            let compared = try await gateway.unary(Reports.CompareReports.self, .with { $0.reportIds = [first.reportId, second.reportId] }, metadata: admin)
            #expect(compared.message.diffs.count == 1 && compared.message.diffs[0].reportId == second.reportId)

            let thread = try await gateway.unary(Threads.GetThread.self, .with { $0.key = .inn(Self.inn) }, metadata: admin).message
            #expect(thread.reports.map(\.version).sorted() == [1, 2])
            #expect(thread.feedback.map(\.comment) == ["проверьте суды"])
            let threadID = try #require(thread.thread?.id)
            let byID = try await gateway.unary(Threads.GetThread.self, .with { $0.key = .id(threadID) }, metadata: admin).message
            #expect(byID.thread?.inn == Self.inn)

            let listed = try await gateway.unary(Threads.ListThreads.self, .init(), metadata: admin).message.threads
            #expect(listed.map(\.id) == [threadID])
            let count = try await gateway.unary(Threads.CountThreads.self, .init(), metadata: admin).message.count
            #expect(count == 1)
            let name = try #require(thread.thread?.companyName.split(separator: " ").last.map(String.init))
            let found = try await gateway.unary(Threads.SearchThreads.self, .with { $0.query = name }, metadata: admin).message.threads
            #expect(found.map(\.id) == [threadID])

            let deleted = try await gateway.unary(Reports.DeleteReports.self, .with { $0.ids = [second.reportId, "nope"] }, metadata: admin).message
            #expect(deleted.deleted == 1 && deleted.notFound == ["nope"])
            let gone = try await gateway.unary(Threads.DeleteThread.self, .with { $0.id = threadID }, metadata: admin).message
            #expect(gone.reportsDeleted == 1)
            let missing = await #expect(throws: RPCError.self) {
                try await gateway.unary(Reports.GetReport.self, .with { $0.key = .id(first.reportId) }, metadata: admin)
            }
            #expect(missing?.code == .notFound)
        }
    }

    @Test("jobs: a prompt finds its INN, idempotency keys are per caller, cancelling a queued job ends it")
    func jobs() async throws {
        try await InProcessStack.run(analyzerRuns: false) { stack in
            let gateway = stack.gateway, admin = stack.admin
            let prompt = try await gateway.unary(Analyses.SubmitPrompt.self, .with {
                $0.prompt = "Проверь контрагента ИНН 7705123452, пожалуйста"
            }, metadata: admin).message
            #expect(prompt.created && prompt.job?.request?.inn == Self.inn && prompt.job?.request?.notes.contains("Проверь") == true)

            let once = try await gateway.unary(Analyses.Submit.self, .with { $0.request = .with { $0.inn = Self.inn }; $0.idempotencyKey = "k1" }, metadata: admin).message
            let again = try await gateway.unary(Analyses.Submit.self, .with { $0.request = .with { $0.inn = Self.inn }; $0.idempotencyKey = "k1" }, metadata: admin).message
            #expect(once.created && !again.created && again.job?.id == once.job?.id)
            let analyst = try await stack.key(.analyst)
            let theirs = try await gateway.unary(
                Analyses.Submit.self, .with { $0.request = .with { $0.inn = Self.inn }; $0.idempotencyKey = "k1" }, metadata: InProcessStack.bearer(analyst)).message
            #expect(theirs.created && theirs.job?.id != once.job?.id)

            let id = try #require(once.job?.id)
            let cancelled = try await gateway.unary(Analyses.CancelJob.self, .with { $0.jobId = id; $0.reason = "дубль" }, metadata: admin).message.job
            #expect(cancelled?.state == .cancelled)
            let fetched = try await gateway.unary(Analyses.GetJob.self, .with { $0.jobId = id }, metadata: admin).message.job
            #expect(fetched?.state == .cancelled)
            let queued = try await gateway.unary(Analyses.ListJobs.self, .with { $0.states = [.queued] }, metadata: admin).message.jobs
            #expect(Set(queued.map(\.id)) == Set([prompt.job?.id, theirs.job?.id].compactMap { $0 }))

            let depth = try await gateway.unary(Admin.QueueDepth.self, .init(), metadata: admin).message
            #expect(depth.byState["queued"] == 2 && depth.byState["cancelled"] == 1)
        }
    }

    // MARK: Helpers

    struct Download {
        var data: [UInt8] = []
        var fileName = ""
        var contentType = ""
    }

    private func download(_ stack: InProcessStack, _ id: String, _ format: RenderV1.Format) async throws -> Download {
        try await stack.gateway.streaming(Reports.DownloadReport.self, [.with { $0.reportId = id; $0.format = format }], metadata: stack.admin) { chunks in
            var download = Download()
            for try await chunk in chunks {
                if download.fileName.isEmpty {
                    download.fileName = chunk.fileName
                    download.contentType = chunk.contentType
                }
                download.data += chunk.data
            }
            return download
        }.message
    }
}
