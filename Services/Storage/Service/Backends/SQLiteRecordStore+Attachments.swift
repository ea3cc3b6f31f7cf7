package import Contracts
internal import Foundation
internal import GRDB
internal import RPCCore

/// Feedback and rendered documents, both attached to a report version and deleted with it.
extension SQLiteRecordStore {
    /// Stores feedback on a report; its thread, id and time are filled in. NOT_FOUND for an unknown report.
    package func addFeedback(_ feedback: CommonV1.Feedback, now: Int64) async throws -> CommonV1.Feedback {
        try await database.pool.write { db in
            guard let threadID = try String.fetchOne(db, sql: "SELECT thread_id FROM reports WHERE id = ?", arguments: [feedback.reportId]) else {
                throw RPCError(.notFound, "feedback.report_id: report \(feedback.reportId) not found")
            }
            var stored = feedback
            stored.id = RecordID.make("f", now: now)
            stored.threadId = threadID
            stored.createdAtMs = now
            try db.execute(
                sql: "INSERT INTO feedback (id, report_id, thread_id, record) VALUES (?, ?, ?, ?)",
                arguments: [stored.id, stored.reportId, threadID, Data(try stored.serializedBytes())])
            return stored
        }
    }

    /// Feedback on a report or on every report of a thread, newest first.
    package func listFeedback(reportID: String?, threadID: String?, before: String?, limit: Int) async throws -> [CommonV1.Feedback] {
        try database.readNow { db in
            var sql = "SELECT record FROM feedback WHERE \(reportID != nil ? "report_id" : "thread_id") = ?"
            var arguments: StatementArguments = [reportID ?? threadID]
            if let before {
                sql += " AND id < ?"
                arguments += [before]
            }
            sql += " ORDER BY id DESC LIMIT ?"
            arguments += [limit]
            return try Data.fetchAll(db, sql: sql, arguments: arguments).map { try CommonV1.Feedback(serializedBytes: $0) }
        }
    }

    /// Stores (or replaces) the report's document in `format`, and lists the format on the report.
    package func putDocument(reportID: String, format: String, contentType: String, data: [UInt8], now: Int64) async throws -> (size: Int64, sha256: String) {
        let digest = ReportRecord.sha256Hex(data)
        try await database.pool.write { db in
            guard let record = try Data.fetchOne(db, sql: "SELECT record FROM reports WHERE id = ?", arguments: [reportID]) else {
                throw RPCError(.notFound, "report_id: report \(reportID) not found")
            }
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO documents (report_id, format, content_type, size, sha256, created_at_ms, data)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [reportID, format, contentType, data.count, digest, now, Data(data)])
            var report = try CommonV1.Report(serializedBytes: record)
            if !report.documentFormats.contains(format) {
                report.documentFormats.append(format)
                try db.execute(
                    sql: "UPDATE reports SET record = ?, has_pdf = ? WHERE id = ?",
                    arguments: [Data(try report.serializedBytes()), report.documentFormats.contains("pdf"), reportID])
            }
        }
        return (Int64(data.count), digest)
    }

    /// The document and its content type; nil when the report has none in this format.
    package func document(reportID: String, format: String) async throws -> (contentType: String, data: [UInt8])? {
        try database.readNow { db in
            try Row.fetchOne(db, sql: "SELECT content_type, data FROM documents WHERE report_id = ? AND format = ?", arguments: [reportID, format])
                .map { row in (row["content_type"], Array(row["data"] as Data)) }
        }
    }

    /// How many documents and feedback entries the thread's reports hold (what a cascade delete removes).
    static func attachmentCounts(threadID: String, _ db: Database) throws -> (documents: Int64, feedback: Int64) {
        let documents = try Int64.fetchOne(
            db, sql: "SELECT count(*) FROM documents WHERE report_id IN (SELECT id FROM reports WHERE thread_id = ?)", arguments: [threadID]) ?? 0
        let feedback = try Int64.fetchOne(db, sql: "SELECT count(*) FROM feedback WHERE thread_id = ?", arguments: [threadID]) ?? 0
        return (documents, feedback)
    }
}
