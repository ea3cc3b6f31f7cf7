internal import Foundation
package import GRDB

/// The storage service's SQLite file: WAL journal (readers never wait for the writer), `synchronous=FULL`
/// (an acknowledged write survives power loss), foreign keys on, and the schema brought up to date by
/// versioned migrations when it opens.
package struct SQLiteDatabase: Sendable {
    package let pool: DatabasePool
    private let batcher: WriteBatcher

    /// Opens (creating if needed) the database at `path`, creating its directory too.
    package init(path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        configuration.busyMode = .timeout(10)
        pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
        batcher = WriteBatcher(pool: pool)
    }

    /// A write committed together with the writes that arrive while the previous commit is on its way to
    /// disk (group commit); returns once it is durable.
    package func batchedWrite(_ work: @escaping @Sendable (Database) throws -> Void) async throws {
        try await batcher.write(work)
    }

    /// A read on the calling thread (see `SQLiteCacheStore.get` for when that is the right choice).
    package func readNow<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    /// Every schema version, in order. A released migration is never edited: add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: cache") { db in
            try db.execute(sql: """
                CREATE TABLE cache_entries (
                    key TEXT PRIMARY KEY NOT NULL,
                    value BLOB NOT NULL,
                    source INTEGER NOT NULL,
                    size INTEGER NOT NULL,
                    created_at_ms INTEGER NOT NULL,
                    expires_at_ms INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX cache_entries_by_expiry ON cache_entries(expires_at_ms);
                CREATE INDEX cache_entries_by_source ON cache_entries(source, expires_at_ms);
                """)
        }
        migrator.registerMigration("v2: jobs") { db in
            try db.execute(sql: """
                CREATE TABLE jobs (
                    id TEXT PRIMARY KEY NOT NULL,
                    state INTEGER NOT NULL,
                    inn TEXT NOT NULL,
                    idempotency_key TEXT,
                    due_at_ms INTEGER,
                    created_at_ms INTEGER NOT NULL,
                    record BLOB NOT NULL,
                    errors TEXT NOT NULL,
                    cancel_requested INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE UNIQUE INDEX jobs_by_idempotency_key ON jobs(idempotency_key) WHERE idempotency_key IS NOT NULL;
                CREATE INDEX jobs_by_due ON jobs(due_at_ms, id) WHERE due_at_ms IS NOT NULL;
                CREATE INDEX jobs_by_state ON jobs(state, id);
                CREATE INDEX jobs_by_inn ON jobs(inn, id);
                CREATE TABLE job_events (
                    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                    sequence INTEGER NOT NULL,
                    event BLOB NOT NULL,
                    PRIMARY KEY (job_id, sequence)
                ) WITHOUT ROWID;
                """)
        }
        return migrator
    }
}
