package import Contracts
internal import Foundation
internal import GRDB

/// The job queue in the storage service's SQLite file. A job is one row: the `Job` message as protobuf plus
/// the columns the queue searches by (state, INN, idempotency key, when it is next due).
package struct SQLiteJobStore: JobStore {
    private let database: SQLiteDatabase

    package init(database: SQLiteDatabase) { self.database = database }

    package func enqueue(_ job: QueuedJob) async throws -> (job: QueuedJob, created: Bool) {
        try await database.batchedWrite { db in
            let key = job.job.idempotencyKey
            if !key.isEmpty, let existing = try Self.fetchOne(db, "SELECT * FROM jobs WHERE idempotency_key = ?", [key]) {
                return (existing, false)
            }
            try Self.insert(job, db)
            return (job, true)
        }
    }

    package func get(_ id: String) async throws -> QueuedJob? {
        try database.readOneStatement { db in try Self.fetchOne(db, "SELECT * FROM jobs WHERE id = ?", [id]) }
    }

    package func update(_ id: String, _ change: @escaping @Sendable (inout QueuedJob) throws -> Void) async throws -> QueuedJob? {
        try await database.batchedWrite { db in
            guard var job = try Self.fetchOne(db, "SELECT * FROM jobs WHERE id = ?", [id]) else { return nil }
            try change(&job)
            try Self.save(job, db)
            return job
        }
    }

    package func takeDue(now: Int64, limit: Int, _ take: @escaping @Sendable (inout QueuedJob) -> Bool) async throws -> [QueuedJob] {
        try await database.batchedWrite { db in
            var taken: [QueuedJob] = []
            while taken.count < limit {
                // Jobs that are passed but not taken (dead-lettered) stop being due, so each batch is new.
                let due = try Self.fetchAll(
                    db, "SELECT * FROM jobs WHERE due_at_ms IS NOT NULL AND due_at_ms <= ? ORDER BY due_at_ms, id LIMIT ?",
                    [now, limit - taken.count])
                if due.isEmpty { break }
                for var job in due {
                    if take(&job) { taken.append(job) }
                    try Self.save(job, db)
                }
            }
            return taken
        }
    }

    package func list(states: [CommonV1.JobState], inn: String?, after: String?, limit: Int) async throws -> [QueuedJob] {
        try database.readNow { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if !states.isEmpty {
                conditions.append("state IN (\(states.map { _ in "?" }.joined(separator: ",")))")
                for state in states { arguments += [state.protoNumber] }
            }
            if let inn {
                conditions.append("inn = ?")
                arguments += [inn]
            }
            if let after {
                conditions.append("id > ?")
                arguments += [after]
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            arguments += [limit]
            // Not a cached statement: the SQL varies with the filter.
            return try Row.fetchAll(db, sql: "SELECT * FROM jobs \(filter) ORDER BY id LIMIT ?", arguments: arguments).map(Self.job(from:))
        }
    }

    package func appendProgress(_ event: CommonV1.ProgressEvent, now: Int64) async throws -> CommonV1.ProgressEvent? {
        try await database.batchedWrite { db in
            guard var job = try Self.fetchOne(db, "SELECT * FROM jobs WHERE id = ?", [event.jobId]) else { return nil }
            let last = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT max(sequence) FROM job_events WHERE job_id = ?"), arguments: [event.jobId]) ?? 0
            var stored = event
            stored.sequence = last + 1
            stored.atMs = now
            try db.cachedStatement(sql: "INSERT INTO job_events (job_id, sequence, event) VALUES (?, ?, ?)")
                .execute(arguments: [event.jobId, stored.sequence, Data(try stored.serializedBytes())])
            job.record(stored, now: now)
            try Self.save(job, db)
            return stored
        }
    }

    package func progress(jobID: String, after: Int64) async throws -> [CommonV1.ProgressEvent] {
        try database.readNow { db in
            try Data.fetchAll(
                db, sql: "SELECT event FROM job_events WHERE job_id = ? AND sequence > ? ORDER BY sequence", arguments: [jobID, after]
            ).map { try CommonV1.ProgressEvent(serializedBytes: $0) }
        }
    }

    package func countByState() async throws -> [CommonV1.JobState: Int64] {
        try database.readNow { db in
            var counts: [CommonV1.JobState: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM jobs GROUP BY state") {
                counts[CommonV1.JobState(protoNumber: row["state"])] = row["n"]
            }
            return counts
        }
    }

    package func oldestWaitingCreatedAt(now: Int64) async throws -> Int64? {
        try database.readNow { db in
            try Int64.fetchOne(
                db, sql: "SELECT min(created_at_ms) FROM jobs WHERE state = ? OR (state IN (?, ?) AND due_at_ms <= ?)",
                arguments: [CommonV1.JobState.queued.protoNumber, CommonV1.JobState.retryWait.protoNumber, CommonV1.JobState.scheduled.protoNumber, now])
        }
    }

    package func delete(ids: [String]) async throws -> Int {
        try await database.batchedWrite { db in
            var deleted = 0
            for id in ids {
                try db.execute(sql: "DELETE FROM jobs WHERE id = ?", arguments: [id])
                deleted += db.changesCount
            }
            return deleted
        }
    }

    // MARK: Rows
    //
    // The statements a job's life runs again and again are prepared once per connection (`cachedStatement`):
    // preparing one (parsing it, and GRDB's authorizer working out what it touches) cost more than running it.

    private static func insert(_ job: QueuedJob, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO jobs (id, state, inn, idempotency_key, due_at_ms, created_at_ms, record, errors, cancel_requested)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: try columns(job))
    }

    private static func save(_ job: QueuedJob, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                UPDATE jobs SET state = ?2, inn = ?3, idempotency_key = ?4, due_at_ms = ?5, created_at_ms = ?6, record = ?7,
                errors = ?8, cancel_requested = ?9 WHERE id = ?1
                """
        ).execute(arguments: try columns(job))
    }

    /// Most jobs have no errors: their column is "[]" without a JSON round trip.
    private static let noErrors = "[]"

    private static func columns(_ job: QueuedJob) throws -> StatementArguments {
        let errors = job.errors.isEmpty ? noErrors : String(decoding: try JSONEncoder().encode(job.errors), as: UTF8.self)
        let key = job.job.idempotencyKey
        return [
            job.id, job.state.protoNumber, job.job.request?.inn ?? "", key.isEmpty ? nil : key, job.dueAtMs,
            job.job.createdAtMs, Data(try job.job.serializedBytes()), errors, job.cancelRequested,
        ]
    }

    private static func fetchOne(_ db: Database, _ sql: String, _ arguments: StatementArguments) throws -> QueuedJob? {
        try Row.fetchOne(db.cachedStatement(sql: sql), arguments: arguments).map(job(from:))
    }

    private static func fetchAll(_ db: Database, _ sql: String, _ arguments: StatementArguments) throws -> [QueuedJob] {
        try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map(job(from:))
    }

    private static func job(from row: Row) throws -> QueuedJob {
        let column: String = row["errors"]
        let errors = column == noErrors ? [] : try JSONDecoder().decode([String].self, from: Data(column.utf8))
        return QueuedJob(
            job: try CommonV1.Job(serializedBytes: row["record"] as Data), errors: errors, cancelRequested: row["cancel_requested"])
    }
}
