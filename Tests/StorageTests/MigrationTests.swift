import Contracts
import Foundation
import GRDB
import Storage
import Testing

/// A database written by an earlier version opens with today's code: migrations bring it up to date and
/// what it held stays reachable.
@Suite("Schema migrations")
struct MigrationTests {
    @Test("threads from before sequence numbers are numbered, listed newest first and still found by search")
    func sequenceMigration() async throws {
        let path = try await Self.database(migratedUpTo: "v6: trigram index of thread names") { db in
            for (i, name) in ["ООО Ромашка", "ПАО Газпром", "АО Ромашка Плюс"].enumerated() {
                let id = "t00000000000\(i)00000000"
                try db.execute(
                    sql: "INSERT INTO threads (id, inn, company_name, company_name_folded, notes, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, '', 0, 0)",
                    arguments: [id, "770708389\(i)", name, name.lowercased()])
                try db.execute(
                    sql: "INSERT INTO threads_search (thread_id, inn, company_name, summary, notes) VALUES (?, ?, ?, '', '')",
                    arguments: [id, "770708389\(i)", name])
                try db.execute(sql: "INSERT INTO threads_names (thread_id, name) VALUES (?, ?)", arguments: [id, name.lowercased()])
            }
        }
        let threads = ThreadsService(store: SQLiteRecordStore(database: try SQLiteDatabase(path: path)), now: { 1 })
        let listed = try await threads.listThreads(.init()).threads.map(\.inn)
        #expect(listed == ["7707083892", "7707083891", "7707083890"])
        let found = try await threads.searchThreads(.with { $0.query = "ромашка" }).threads.map(\.inn)
        #expect(found == ["7707083892", "7707083890"])
        let named = try await threads.listThreads(.with { $0.filter = .with { $0.nameContains = "газпр" } }).threads.map(\.inn)
        #expect(named == ["7707083891"])
        // A thread created now comes after the migrated ones.
        _ = try await threads.createThread(.with { $0.inn = "1027700132"; $0.companyName = "ООО Новая Ромашка" })
        #expect(try await threads.searchThreads(.with { $0.query = "ромашка" }).threads.first?.inn == "1027700132")
    }

    @Test("text indexed before folding is folded: ё in old names is found as е")
    func foldingMigration() async throws {
        let path = try await Self.database(migratedUpTo: "v8: the level index follows seq") { db in
            let name = "ООО Семёнов и партнёры"
            try db.execute(
                sql: "INSERT INTO threads (id, inn, company_name, company_name_folded, notes, created_at_ms, updated_at_ms, seq) VALUES ('t1', '7707083893', ?, ?, 'Ёмкий отчёт', 0, 0, 1)",
                arguments: [name, name.lowercased()])
            try db.execute(
                sql: "INSERT INTO threads_fts (rowid, inn, company_name, summary, notes) VALUES (1, '7707083893', ?, '', 'Ёмкий отчёт')", arguments: [name])
        }
        let threads = ThreadsService(store: SQLiteRecordStore(database: try SQLiteDatabase(path: path)), now: { 1 })
        for query in ["семенов", "ПАРТНЕРЫ", "семёнов партнёр", "емкий отчет"] {
            #expect(try await threads.searchThreads(.with { $0.query = query }).threads.map(\.inn) == ["7707083893"], "query \(query)")
        }
    }

    @Test("the search index gains prefix indexes and keeps every row it held")
    func prefixIndexMigration() async throws {
        let path = try await Self.database(migratedUpTo: "v9: search text folded (ё as е)") { db in
            for (seq, name) in [(1, "ООО Строительство"), (2, "ООО Строительная компания"), (3, "ПАО Газпром")] {
                try db.execute(
                    sql: "INSERT INTO threads (id, inn, company_name, company_name_folded, notes, created_at_ms, updated_at_ms, seq) VALUES (?, ?, ?, ?, '', 0, 0, ?)",
                    arguments: ["t\(seq)", "770708389\(seq)", name, name.lowercased(), seq])
                try db.execute(
                    sql: "INSERT INTO threads_fts (rowid, inn, company_name, summary, notes) VALUES (?, ?, ?, '', '')",
                    arguments: [seq, "770708389\(seq)", name.lowercased()])
            }
        }
        let database = try SQLiteDatabase(path: path)
        let definition = try await database.pool.read { db in
            try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'threads_fts'")
        }
        #expect(definition?.contains("prefix = '1 2 3 4 5 6 7 8 9 10 11 12', detail = none") == true)
        let threads = ThreadsService(store: SQLiteRecordStore(database: database), now: { 1 })
        for (query, inns) in [("строит", ["7707083892", "7707083891"]), ("строительна", ["7707083892"]), ("газпром", ["7707083893"])] {
            #expect(try await threads.searchThreads(.with { $0.query = query }).threads.map(\.inn) == inns, "query \(query)")
        }
    }

    /// A database file migrated up to `version` only, holding what `fill` writes: as an older release left it.
    static func database(migratedUpTo version: String, _ fill: @Sendable (Database) throws -> Void) async throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cla-migrate-\(UUID().uuidString).sqlite").path
        let old = try DatabaseQueue(path: path)
        try SQLiteDatabase.migrator.migrate(old, upTo: version)
        try await old.write(fill)
        return path
    }
}
