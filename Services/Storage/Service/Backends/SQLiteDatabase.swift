internal import Foundation
package import GRDB

/// The storage service's SQLite file: WAL journal (readers never wait for the writer), `synchronous=FULL`
/// (an acknowledged write survives power loss), foreign keys on, and the schema brought up to date by
/// versioned migrations when it opens.
package struct SQLiteDatabase: Sendable {
    /// A pool (one writer, concurrent readers) on a file; a single connection in memory.
    package let pool: any DatabaseWriter
    private let batcher: WriteBatcher

    /// Opens (creating if needed) the database at `path`, creating its directory too.
    package init(path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        try self.init(writer: DatabasePool(path: path, configuration: Self.configuration))
    }

    /// A private database in memory: the same schema and SQL, nothing on disk (`storage.backend: memory`).
    package static func inMemory() throws -> SQLiteDatabase {
        try SQLiteDatabase(writer: DatabaseQueue(configuration: configuration))
    }

    private init(writer: any DatabaseWriter) throws {
        pool = writer
        try Self.migrator.migrate(writer)
        batcher = WriteBatcher(pool: writer)
    }

    private static var configuration: Configuration {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        configuration.busyMode = .timeout(10)
        return configuration
    }

    /// A write committed together with the writes that arrive while the previous commit is on its way to
    /// disk (group commit); returns once it is durable.
    package func batchedWrite<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await batcher.write(work)
    }

    /// A read on the calling thread. Every read goes this way: with GRDB's async reads next to blocking ones,
    /// storage deadlocked under 8 concurrent progress watches (gateway benchmark) — every thread waited in
    /// `Pool.get` for a reader and none was released. Synchronous reads hold a reader only while they run.
    package func readNow<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    /// `readNow` for a body that runs a single statement: SQLite reads one statement from one snapshot
    /// anyway, so the BEGIN … COMMIT that `readNow` puts around reads of several statements is left out: it
    /// would cost more than the cache hit it wraps.
    package func readOneStatement<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.unsafeRead(body)
    }

    /// Every schema version, in order. A released migration is never edited: add a new one.
    package static var migrator: DatabaseMigrator {
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
        migrator.registerMigration("v3: threads and reports") { db in
            try db.execute(sql: """
                CREATE TABLE threads (
                    id TEXT PRIMARY KEY NOT NULL,
                    inn TEXT NOT NULL UNIQUE,
                    company_name TEXT NOT NULL,
                    company_name_folded TEXT NOT NULL,
                    notes TEXT NOT NULL,
                    created_at_ms INTEGER NOT NULL,
                    updated_at_ms INTEGER NOT NULL,
                    report_count INTEGER NOT NULL DEFAULT 0,
                    last_version INTEGER NOT NULL DEFAULT 0,
                    latest_report_id TEXT,
                    latest_score REAL,
                    latest_level INTEGER
                ) WITHOUT ROWID;
                CREATE INDEX threads_by_created ON threads(created_at_ms);
                CREATE INDEX threads_by_level ON threads(latest_level, id);
                CREATE TABLE reports (
                    id TEXT PRIMARY KEY NOT NULL,
                    thread_id TEXT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
                    version INTEGER NOT NULL,
                    parent_report_id TEXT NOT NULL,
                    job_id TEXT,
                    inn TEXT NOT NULL,
                    company_name TEXT NOT NULL,
                    company_name_folded TEXT NOT NULL,
                    score REAL NOT NULL,
                    level INTEGER NOT NULL,
                    confidence REAL NOT NULL,
                    marker_count INTEGER NOT NULL,
                    has_pdf INTEGER NOT NULL,
                    created_at_ms INTEGER NOT NULL,
                    record BLOB NOT NULL,
                    UNIQUE (thread_id, version)
                ) WITHOUT ROWID;
                CREATE UNIQUE INDEX reports_by_job ON reports(job_id) WHERE job_id IS NOT NULL;
                CREATE INDEX reports_by_created ON reports(created_at_ms);
                CREATE INDEX reports_by_inn ON reports(inn, id);
                CREATE VIRTUAL TABLE threads_search USING fts5(
                    thread_id UNINDEXED, inn, company_name, summary, notes,
                    tokenize = 'unicode61 remove_diacritics 2'
                );
                """)
        }
        migrator.registerMigration("v4: feedback and documents") { db in
            try db.execute(sql: """
                CREATE TABLE feedback (
                    id TEXT PRIMARY KEY NOT NULL,
                    report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
                    thread_id TEXT NOT NULL,
                    record BLOB NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX feedback_by_report ON feedback(report_id, id);
                CREATE INDEX feedback_by_thread ON feedback(thread_id, id);
                CREATE TABLE documents (
                    report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
                    format TEXT NOT NULL,
                    content_type TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    sha256 TEXT NOT NULL,
                    created_at_ms INTEGER NOT NULL,
                    data BLOB NOT NULL,
                    UNIQUE (report_id, format)
                );
                """)
        }
        migrator.registerMigration("v5: api keys and audit") { db in
            try db.execute(sql: """
                CREATE TABLE api_keys (
                    id TEXT PRIMARY KEY NOT NULL,
                    secret_hash TEXT NOT NULL UNIQUE,
                    revoked INTEGER NOT NULL,
                    record BLOB NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE audit (
                    id TEXT PRIMARY KEY NOT NULL,
                    at_ms INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    record BLOB NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX audit_by_actor ON audit(actor, id);
                """)
        }
        migrator.registerMigration("v6: trigram index of thread names") { db in
            // Substring filters on company names ("name contains") use this index instead of scanning.
            try db.execute(sql: """
                CREATE VIRTUAL TABLE threads_names USING fts5(thread_id UNINDEXED, name, tokenize = 'trigram');
                INSERT INTO threads_names (thread_id, name) SELECT id, company_name_folded FROM threads;
                """)
        }
        migrator.registerMigration("v7: thread sequence numbers key the text indexes") { db in
            // Lists, name filters and searches all walk threads newest first by `seq`; with the indexes keyed
            // by it, a filtered page is read straight from the index instead of sorting every match.
            try db.execute(sql: """
                ALTER TABLE threads ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
                CREATE TEMP TABLE numbered (id TEXT PRIMARY KEY NOT NULL, n INTEGER NOT NULL) WITHOUT ROWID;
                INSERT INTO numbered SELECT id, ROW_NUMBER() OVER (ORDER BY id) FROM threads;
                UPDATE threads SET seq = numbered.n FROM numbered WHERE numbered.id = threads.id;
                DROP TABLE numbered;
                CREATE UNIQUE INDEX threads_by_seq ON threads(seq);
                CREATE VIRTUAL TABLE threads_fts USING fts5(inn, company_name, summary, notes, tokenize = 'unicode61 remove_diacritics 2');
                INSERT INTO threads_fts (rowid, inn, company_name, summary, notes)
                    SELECT threads.seq, s.inn, s.company_name, s.summary, s.notes FROM threads_search s JOIN threads ON threads.id = s.thread_id;
                CREATE VIRTUAL TABLE threads_trigram USING fts5(name, tokenize = 'trigram');
                INSERT INTO threads_trigram (rowid, name) SELECT seq, company_name_folded FROM threads;
                DROP TABLE threads_search;
                DROP TABLE threads_names;
                """)
        }
        migrator.registerMigration("v8: the level index follows seq") { db in
            try db.execute(sql: """
                DROP INDEX threads_by_level;
                CREATE INDEX threads_by_level ON threads(latest_level, seq);
                """)
        }
        migrator.registerMigration("v9: search text folded (ё as е)") { db in
            // Searches fold their words (SearchWords); the indexed text must be folded the same way.
            db.add(function: DatabaseFunction("cla_fold", argumentCount: 1, pure: true) { values in
                String.fromDatabaseValue(values[0]).map(SearchWords.fold)
            })
            try db.execute(sql: "UPDATE threads_fts SET company_name = cla_fold(company_name), summary = cla_fold(summary), notes = cla_fold(notes)")
        }
        migrator.registerMigration("v10: prefix indexes for search") { db in
            // Searches match every word as a prefix. Without an index of prefixes of that length, FTS5 first
            // merges the doclists of all the words the prefix starts (10 ms for a common word at 1M threads);
            // with one it reads a page's rows, newest first, and stops (under 1 ms). Words of 13 letters or
            // more still merge, but such long prefixes are rarely common. Searches need no word positions (no
            // phrases, columns or snippets), so `detail = none` leaves them out: with the prefixes the index
            // grows from 47 to 84 MB at 1M threads (with positions it would be over 300 MB).
            try db.execute(sql: """
                CREATE VIRTUAL TABLE threads_fts_prefixed USING fts5(
                    inn, company_name, summary, notes, tokenize = 'unicode61 remove_diacritics 2',
                    prefix = '1 2 3 4 5 6 7 8 9 10 11 12', detail = none);
                INSERT INTO threads_fts_prefixed (rowid, inn, company_name, summary, notes) SELECT rowid, inn, company_name, summary, notes FROM threads_fts;
                DROP TABLE threads_fts;
                ALTER TABLE threads_fts_prefixed RENAME TO threads_fts;
                """)
        }
        return migrator
    }
}
