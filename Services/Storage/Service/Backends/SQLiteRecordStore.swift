package import Contracts
internal import Foundation
internal import GRDB
internal import RPCCore

/// Threads (one per INN) and their report versions in the storage service's SQLite database, with an FTS5
/// index over company name, INN, the latest summary and notes.
///
/// Lists run newest first (ids are time-ordered) with the last id as the cursor, so a page boundary stays put
/// while new records arrive.
package struct SQLiteRecordStore: RecordStore {
    let database: SQLiteDatabase

    package init(database: SQLiteDatabase) { self.database = database }

    // MARK: Threads

    /// The thread for `inn`, created if there is none.
    package func createThread(inn: String, companyName: String, notes: String, now: Int64) async throws -> (CommonV1.Thread, created: Bool) {
        // Most calls find the thread (every job for a known INN): a read does not wait for a durable commit.
        if let existing = try database.readNow({ db in try Self.thread(db, "inn = ?", [inn]) }) { return (existing, false) }
        return try await database.pool.write { db in
            if let existing = try Self.thread(db, "inn = ?", [inn]) { return (existing, false) }
            let id = RecordID.make("t", now: now)
            try Self.insertThread(db, id: id, inn: inn, companyName: companyName, notes: notes, now: now)
            return (try Self.thread(db, "id = ?", [id])!, true)
        }
    }

    package func thread(id: String?, inn: String?) async throws -> (CommonV1.Thread, [CommonV1.ReportSummary])? {
        try database.readNow { db in
            let found = try id.map { try Self.thread(db, "id = ?", [$0]) } ?? inn.map { try Self.thread(db, "inn = ?", [$0]) } ?? nil
            guard let thread = found else { return nil }
            let reports = try Row.fetchAll(db, sql: "SELECT \(Self.summaryColumns) FROM reports WHERE thread_id = ? ORDER BY version", arguments: [thread.id])
                .map(Self.summary(from:))
            return (thread, reports)
        }
    }

    /// Threads newest first; `before` is the position (`seq`) of the last thread of the previous page. A
    /// name filter of three characters or more walks the trigram index in the same order.
    package func listThreads(_ filter: RecordFilter, before: Int64?, limit: Int) async throws -> [(thread: CommonV1.Thread, position: Int64)] {
        try database.readNow { db in
            var (conditions, arguments) = Self.threadConditions(filter)
            var source = "threads"
            var order = "threads.seq"
            if let name = filter.nameContains, name.count >= 3 {
                source = "threads_trigram JOIN threads ON threads.seq = threads_trigram.rowid"
                order = "threads_trigram.rowid"
                conditions.insert("threads_trigram.name GLOB ?", at: 0)
                arguments = ["*" + Self.globEscaped(name) + "*"] + arguments
            }
            if let before {
                conditions.append("\(order) < ?")
                arguments += [before]
            }
            arguments += [limit]
            return try Row.fetchAll(
                db, sql: "SELECT threads.* FROM \(source) \(Self.whereClause(conditions)) ORDER BY \(order) DESC LIMIT ?", arguments: arguments
            ).map { (try Self.thread(from: $0, db), $0["seq"]) }
        }
    }

    package func countThreads(_ filter: RecordFilter) async throws -> Int64 {
        try database.readNow { db in
            let (conditions, arguments) = Self.threadConditions(filter)
            return try Int64.fetchOne(db, sql: "SELECT count(*) FROM threads \(Self.whereClause(conditions))", arguments: arguments) ?? 0
        }
    }

    /// Full-text search; every word must match as a prefix of a word (`ромашк` finds "Ромашка", "ромашки").
    /// Newest threads first, like lists; `before` is the position of the last result of the previous page.
    package func searchThreads(_ query: String, before: Int64?, limit: Int) async throws -> [(thread: CommonV1.Thread, position: Int64)] {
        let match = try Self.matchExpression(query)
        return try database.readNow { db in
            var sql = "SELECT threads.* FROM threads_fts JOIN threads ON threads.seq = threads_fts.rowid WHERE threads_fts MATCH ?"
            var arguments: StatementArguments = [match]
            if let before {
                sql += " AND threads_fts.rowid < ?"
                arguments += [before]
            }
            sql += " ORDER BY threads_fts.rowid DESC LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { (try Self.thread(from: $0, db), $0["seq"]) }
        }
    }

    /// Deletes the thread and, by cascade, its reports with their documents and feedback; returns what went,
    /// or nil when there is no such thread.
    package func deleteThread(id: String) async throws -> StorageV1.DeleteThreadResponse? {
        try await database.pool.write { db -> StorageV1.DeleteThreadResponse? in
            guard let seq = try Int64.fetchOne(db, sql: "SELECT seq FROM threads WHERE id = ?", arguments: [id]) else { return nil }
            let reports = try Int64.fetchOne(db, sql: "SELECT count(*) FROM reports WHERE thread_id = ?", arguments: [id]) ?? 0
            let (documents, feedback) = try Self.attachmentCounts(threadID: id, db)
            try db.execute(sql: "DELETE FROM threads WHERE id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM threads_fts WHERE rowid = ?", arguments: [seq])
            try db.execute(sql: "DELETE FROM threads_trigram WHERE rowid = ?", arguments: [seq])
            try db.execute(sql: "DELETE FROM feedback WHERE thread_id = ?", arguments: [id])
            return .with {
                $0.reportsDeleted = reports
                $0.documentsDeleted = documents
                $0.feedbackDeleted = feedback
            }
        }
    }

    // MARK: Reports

    /// Stores the next version of the report's thread (found by `thread_id`, or by `inn`, created if new).
    /// A job stores at most one report: a second put with the same `jobID` returns the first.
    package func putReport(_ report: CommonV1.Report, jobID: String, now: Int64) async throws -> (CommonV1.Report, created: Bool) {
        try await database.pool.write { db in
            if !jobID.isEmpty, let data = try Data.fetchOne(db, sql: "SELECT record FROM reports WHERE job_id = ?", arguments: [jobID]) {
                return (try CommonV1.Report(serializedBytes: data), false)
            }
            let threadRow: Row
            if !report.threadId.isEmpty {
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM threads WHERE id = ?", arguments: [report.threadId]) else {
                    throw RPCError(.notFound, "report.thread_id: thread \(report.threadId) not found")
                }
                threadRow = row
            } else if let row = try Row.fetchOne(db, sql: "SELECT * FROM threads WHERE inn = ?", arguments: [report.inn]) {
                threadRow = row
            } else {
                let id = RecordID.make("t", now: now)
                try Self.insertThread(db, id: id, inn: report.inn, companyName: ReportRecord.companyName(report), notes: report.notes, now: now)
                threadRow = try Row.fetchOne(db, sql: "SELECT * FROM threads WHERE id = ?", arguments: [id])!
            }
            var stored = report
            ReportRecord.assign(id: RecordID.make("r", now: now), to: &stored)
            stored.threadId = threadRow["id"]
            stored.inn = threadRow["inn"]
            stored.version = Int32((threadRow["last_version"] as Int64) + 1)
            if stored.parentReportId.isEmpty { stored.parentReportId = threadRow["latest_report_id"] ?? "" }
            stored.createdAtMs = now
            stored.jobId = jobID
            let summary = ReportRecord.summary(of: stored)
            try db.execute(
                sql: """
                    INSERT INTO reports (id, thread_id, version, parent_report_id, job_id, inn, company_name, company_name_folded,
                    score, level, confidence, marker_count, has_pdf, created_at_ms, record)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    stored.id, stored.threadId, stored.version, stored.parentReportId, jobID.isEmpty ? nil : jobID, stored.inn,
                    summary.companyName, summary.companyName.lowercased(), summary.score, summary.level.protoNumber,
                    summary.confidence, summary.markerCount, summary.hasPdf, now, Data(try stored.serializedBytes()),
                ])
            let name = summary.companyName.isEmpty ? threadRow["company_name"] as String : summary.companyName
            let notes = report.notes.isEmpty ? threadRow["notes"] as String : report.notes
            try db.execute(
                sql: """
                    UPDATE threads SET last_version = ?, report_count = report_count + 1, latest_report_id = ?, latest_score = ?,
                    latest_level = ?, updated_at_ms = ?, company_name = ?, company_name_folded = ?, notes = ? WHERE id = ?
                    """,
                arguments: [stored.version, stored.id, summary.score, summary.level.protoNumber, now, name, name.lowercased(), notes, stored.threadId])
            try Self.index(db, threadID: stored.threadId, inn: stored.inn, name: name, summary: stored.narrative?.summary ?? "", notes: notes)
            return (stored, true)
        }
    }

    package func report(id: String) async throws -> CommonV1.Report? {
        try database.readNow { db in
            try Data.fetchOne(db, sql: "SELECT record FROM reports WHERE id = ?", arguments: [id]).map { try CommonV1.Report(serializedBytes: $0) }
        }
    }

    package func latestReport(threadID: String?, inn: String?) async throws -> CommonV1.Report? {
        try database.readNow { db in
            let condition = threadID != nil ? "thread_id = ?" : "inn = ?"
            return try Data.fetchOne(
                db, sql: "SELECT record FROM reports WHERE \(condition) ORDER BY version DESC LIMIT 1", arguments: [threadID ?? inn]
            ).map { try CommonV1.Report(serializedBytes: $0) }
        }
    }

    package func listReports(_ filter: RecordFilter, before: String?, limit: Int) async throws -> [CommonV1.ReportSummary] {
        try database.readNow { db in
            var (conditions, arguments) = Self.reportConditions(filter)
            if let before {
                conditions.append("reports.id < ?")
                arguments += [before]
            }
            arguments += [limit]
            return try Row.fetchAll(
                db, sql: "SELECT \(Self.summaryColumns) FROM reports \(Self.whereClause(conditions)) ORDER BY reports.id DESC LIMIT ?",
                arguments: arguments
            ).map(Self.summary(from:))
        }
    }

    /// Deletes the reports that exist; their threads' latest version and count follow. Returns the ids that
    /// did not exist.
    package func deleteReports(ids: [String], now: Int64) async throws -> (deleted: Int64, notFound: [String]) {
        try await database.pool.write { db in
            var deleted: Int64 = 0
            var notFound: [String] = []
            var threads = Set<String>()
            for id in ids {
                guard let threadID = try String.fetchOne(db, sql: "SELECT thread_id FROM reports WHERE id = ?", arguments: [id]) else {
                    notFound.append(id)
                    continue
                }
                try db.execute(sql: "DELETE FROM reports WHERE id = ?", arguments: [id])
                deleted += 1
                threads.insert(threadID)
            }
            for thread in threads {
                try db.execute(
                    sql: """
                        UPDATE threads SET report_count = (SELECT count(*) FROM reports WHERE thread_id = ?1),
                        latest_report_id = (SELECT id FROM reports WHERE thread_id = ?1 ORDER BY version DESC LIMIT 1),
                        latest_score = (SELECT score FROM reports WHERE thread_id = ?1 ORDER BY version DESC LIMIT 1),
                        latest_level = (SELECT level FROM reports WHERE thread_id = ?1 ORDER BY version DESC LIMIT 1),
                        updated_at_ms = ?2 WHERE id = ?1
                        """,
                    arguments: [thread, now])
            }
            return (deleted, notFound)
        }
    }

    // MARK: Rows

    static let summaryColumns =
        "reports.id, reports.thread_id, reports.version, reports.parent_report_id, reports.inn, reports.company_name, reports.score, reports.level, reports.confidence, reports.created_at_ms, reports.marker_count, reports.has_pdf"

    private static func insertThread(_ db: Database, id: String, inn: String, companyName: String, notes: String, now: Int64) throws {
        try db.execute(
            sql: """
                INSERT INTO threads (id, inn, company_name, company_name_folded, notes, created_at_ms, updated_at_ms, seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM threads))
                """,
            arguments: [id, inn, companyName, companyName.lowercased(), notes, now, now])
        try index(db, threadID: id, inn: inn, name: companyName, summary: "", notes: notes)
    }

    /// (Re)writes the thread's rows in both text indexes, keyed by its `seq`; the full-text one holds folded text.
    private static func index(_ db: Database, threadID: String, inn: String, name: String, summary: String, notes: String) throws {
        guard let seq = try Int64.fetchOne(db, sql: "SELECT seq FROM threads WHERE id = ?", arguments: [threadID]) else { return }
        try db.execute(sql: "DELETE FROM threads_fts WHERE rowid = ?", arguments: [seq])
        try db.execute(
            sql: "INSERT INTO threads_fts (rowid, inn, company_name, summary, notes) VALUES (?, ?, ?, ?, ?)",
            arguments: [seq, inn, SearchWords.fold(name), SearchWords.fold(summary), SearchWords.fold(notes)])
        try db.execute(sql: "DELETE FROM threads_trigram WHERE rowid = ?", arguments: [seq])
        try db.execute(sql: "INSERT INTO threads_trigram (rowid, name) VALUES (?, ?)", arguments: [seq, name.lowercased()])
    }

    private static func thread(_ db: Database, _ condition: String, _ arguments: StatementArguments) throws -> CommonV1.Thread? {
        try Row.fetchOne(db, sql: "SELECT * FROM threads WHERE \(condition)", arguments: arguments).map { try thread(from: $0, db) }
    }

    private static func thread(from row: Row, _ db: Database) throws -> CommonV1.Thread {
        let latestID: String? = row["latest_report_id"]
        let latest = try latestID.flatMap { id in
            try Row.fetchOne(db, sql: "SELECT \(summaryColumns) FROM reports WHERE id = ?", arguments: [id]).map(summary(from:))
        }
        return .with {
            $0.id = row["id"]
            $0.inn = row["inn"]
            $0.companyName = row["company_name"]
            $0.notes = row["notes"]
            $0.createdAtMs = row["created_at_ms"]
            $0.updatedAtMs = row["updated_at_ms"]
            $0.reportCount = row["report_count"]
            $0.latest = latest
        }
    }

    static func summary(from row: Row) -> CommonV1.ReportSummary {
        .with {
            $0.id = row["id"]
            $0.threadId = row["thread_id"]
            $0.version = row["version"]
            $0.parentReportId = row["parent_report_id"]
            $0.inn = row["inn"]
            $0.companyName = row["company_name"]
            $0.score = row["score"]
            $0.level = CommonV1.RiskLevel(protoNumber: row["level"])
            $0.confidence = row["confidence"]
            $0.createdAtMs = row["created_at_ms"]
            $0.markerCount = row["marker_count"]
            $0.hasPdf = row["has_pdf"]
        }
    }

    static func whereClause(_ conditions: [String]) -> String {
        conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
    }

    /// Threads are filtered by their latest report's level and score (`latest_only` changes nothing here).
    private static func threadConditions(_ filter: RecordFilter) -> ([String], StatementArguments) {
        conditions(filter, table: "threads", levelColumn: "latest_level", scoreColumn: "latest_score", threadColumn: "id")
    }

    static func reportConditionsForAnalytics(_ filter: RecordFilter) -> ([String], StatementArguments) {
        reportConditions(filter)
    }

    private static func reportConditions(_ filter: RecordFilter) -> ([String], StatementArguments) {
        var (conditions, arguments) = conditions(filter, table: "reports", levelColumn: "level", scoreColumn: "score", threadColumn: "thread_id")
        if filter.latestOnly {
            conditions.append("reports.id IN (SELECT latest_report_id FROM threads WHERE latest_report_id IS NOT NULL)")
        }
        return (conditions, arguments)
    }

    /// The filter's conditions on `table`, whose level, score and thread columns have the names given.
    private static func conditions(
        _ filter: RecordFilter, table: String, levelColumn: String, scoreColumn: String, threadColumn: String
    ) -> ([String], StatementArguments) {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        func add(_ condition: String, _ value: some DatabaseValueConvertible) {
            conditions.append(condition)
            arguments += [value]
        }
        if let inn = filter.inn { add("\(table).inn = ?", inn) }
        // Exact for any length; `listThreads` adds the trigram index for three characters or more.
        if let name = filter.nameContains { add("instr(\(table).company_name_folded, ?) > 0", name) }
        if !filter.levels.isEmpty {
            conditions.append("\(table).\(levelColumn) IN (\(filter.levels.map { _ in "?" }.joined(separator: ",")))")
            for level in filter.levels { arguments += [level.protoNumber] }
        }
        if let from = filter.createdFromMs { add("\(table).created_at_ms >= ?", from) }
        if let to = filter.createdToMs { add("\(table).created_at_ms < ?", to) }
        if let low = filter.minScore { add("\(table).\(scoreColumn) >= ?", low) }
        if let high = filter.maxScore { add("\(table).\(scoreColumn) <= ?", high) }
        if let thread = filter.threadID { add("\(table).\(threadColumn) = ?", thread) }
        return (conditions, arguments)
    }

    /// `text` as a GLOB pattern that matches it literally.
    static func globEscaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "*", "?", "[": out += "[\(character)]"
            default: out.append(character)
            }
        }
        return out
    }

    /// The user's words as an FTS5 query: letters and digits only, each quoted and matched as a prefix.
    static func matchExpression(_ query: String) throws -> String {
        let words = try SearchWords.query(query).map(SearchWords.fold)
        return words.map { "\"\($0)\"*" }.joined(separator: " ")
    }
}
