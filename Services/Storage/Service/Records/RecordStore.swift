package import Contracts
internal import Crypto

/// Threads, report versions, feedback and rendered documents: what the threads, reports, feedback and
/// documents services need from a backend. SQLite (`SQLiteRecordStore`, also in memory) and Tarantool
/// (`TarantoolRecordStore`) implement it and pass the same conformance suite.
///
/// Lists run newest first with a cursor: a thread's position (`seq`, growing with each new thread) or a
/// report's or feedback's id (time-ordered), so a page boundary stays put while new records arrive.
package protocol RecordStore: Sendable {
    // MARK: Threads

    /// The thread for `inn`, created if there is none.
    func createThread(inn: String, companyName: String, notes: String, now: Int64) async throws -> (CommonV1.Thread, created: Bool)
    /// The thread (by id, else by INN) with its report versions, oldest first.
    func thread(id: String?, inn: String?) async throws -> (CommonV1.Thread, [CommonV1.ReportSummary])?
    /// Threads newest first, filtered by their latest report; `before` is the last position of the previous page.
    func listThreads(_ filter: RecordFilter, before: Int64?, limit: Int) async throws -> [(thread: CommonV1.Thread, position: Int64)]
    func countThreads(_ filter: RecordFilter) async throws -> Int64
    /// Every word of `query` must match the start of a word of the company name, INN, latest summary or
    /// notes (any case); newest first.
    func searchThreads(_ query: String, before: Int64?, limit: Int) async throws -> [(thread: CommonV1.Thread, position: Int64)]
    /// Deletes the thread with its reports, documents and feedback; what went, or nil for no such thread.
    func deleteThread(id: String) async throws -> StorageV1.DeleteThreadResponse?

    // MARK: Reports

    /// Stores the next version of the report's thread (by `thread_id`, or by `inn`, created if new). A job
    /// stores at most one report: a second put with the same `jobID` returns the first.
    func putReport(_ report: CommonV1.Report, jobID: String, now: Int64) async throws -> (CommonV1.Report, created: Bool)
    func report(id: String) async throws -> CommonV1.Report?
    func latestReport(threadID: String?, inn: String?) async throws -> CommonV1.Report?
    /// Report summaries newest first; `before` is the last id of the previous page.
    func listReports(_ filter: RecordFilter, before: String?, limit: Int) async throws -> [CommonV1.ReportSummary]
    /// Deletes the reports that exist (with their documents and feedback); their threads' latest version and
    /// count follow. Returns the ids that did not exist.
    func deleteReports(ids: [String], now: Int64) async throws -> (deleted: Int64, notFound: [String])
    /// Totals over the filtered reports; "today" and "this week" (from Monday) in the caller's time zone.
    func stats(_ filter: RecordFilter, utcOffsetMinutes: Int32, now: Int64) async throws -> CommonV1.ReportStats
    /// One point per UTC day for the last `days` days (today included), zero where there were no reports.
    func timeline(_ filter: RecordFilter, days: Int, now: Int64) async throws -> [CommonV1.TimelinePoint]

    // MARK: Feedback and documents

    /// Stores feedback on a report; its thread, id and time are filled in. NOT_FOUND for an unknown report.
    func addFeedback(_ feedback: CommonV1.Feedback, now: Int64) async throws -> CommonV1.Feedback
    /// Feedback on a report, or on every report of a thread, newest first.
    func listFeedback(reportID: String?, threadID: String?, before: String?, limit: Int) async throws -> [CommonV1.Feedback]
    /// Stores (or replaces) the report's document in `format` and lists the format on the report.
    func putDocument(reportID: String, format: String, contentType: String, data: [UInt8], now: Int64) async throws -> (size: Int64, sha256: String)
    /// The document and its content type; nil when the report has none in this format.
    func document(reportID: String, format: String) async throws -> (contentType: String, data: [UInt8])?
}

extension RecordStore {
    /// Every report summary matching the filter, newest first, in pages (for export).
    package func allReports(_ filter: RecordFilter, _ body: ([CommonV1.ReportSummary]) async throws -> Void) async throws {
        var before: String?
        repeat {
            let page = try await listReports(filter, before: before, limit: 1000)
            if !page.isEmpty { try await body(page) }
            before = page.count == 1000 ? page.last?.id : nil
        } while before != nil
    }
}

/// What every record backend derives from a report the same way.
enum ReportRecord {
    /// Gives a new report its id, and its diff from the parent the same id (the analyzer compared the
    /// versions before the report had one).
    static func assign(id: String, to report: inout CommonV1.Report) {
        report.id = id
        report.diffFromParent?.reportId = id
    }

    static func summary(of report: CommonV1.Report) -> CommonV1.ReportSummary {
        .with {
            $0.id = report.id
            $0.threadId = report.threadId
            $0.version = report.version
            $0.parentReportId = report.parentReportId
            $0.inn = report.inn
            $0.companyName = companyName(report)
            $0.score = report.risk?.score ?? 0
            $0.level = report.risk?.level ?? .unspecified
            $0.confidence = report.risk?.confidence ?? 0
            $0.createdAtMs = report.createdAtMs
            $0.markerCount = Int32(report.risk?.markers.count ?? 0)
            $0.hasPdf = report.documentFormats.contains("pdf")
        }
    }

    /// The registry's short name, else its full name, else the client's name for the company.
    static func companyName(_ report: CommonV1.Report) -> String {
        let card = report.company
        return [card?.shortName, card?.fullName, report.clientName].compactMap { $0 }.first { !$0.isEmpty } ?? ""
    }

    /// The SHA-256 of a document, as lower-case hex.
    static func sha256Hex(_ data: [UInt8]) -> String {
        SHA256.hash(data: data).map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
    }
}
