import Contracts
import Foundation
import GRDB
import Storage

/// Fills a database with `count` threads, each with one report, in bulk (one transaction, prepared
/// statements), for the list and search latency benchmark. Names and summaries are drawn from Russian words so
/// that full-text search has realistic work.
enum Seed {
    static let words = [
        "ромашка", "василёк", "берёза", "север", "восток", "строй", "торг", "инвест", "капитал", "логистик", "агро",
        "металл", "энерго", "нефть", "газ", "транс", "сервис", "холдинг", "групп", "технолоджи", "медиа", "фарм",
        "девелопмент", "ресурс", "альянс", "партнёр", "регион", "союз", "прогресс", "вектор", "гранит", "меридиан",
    ]
    static let summaries = [
        "Компания участвует в арбитражных делах как ответчик", "Признаков банкротства не выявлено",
        "Руководитель входит в реестр дисквалифицированных лиц", "Массовый адрес регистрации",
        "Задолженность по налогам", "Крупный поставщик по госконтрактам",
    ]

    static func run(path: String, count: Int) throws {
        let database = try SQLiteDatabase(path: path)
        let existing = try database.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM threads") ?? 0 }
        guard existing < count else {
            print("seed: \(path) already holds \(existing) threads")
            return
        }
        var generator = SystemRandomNumberGenerator()
        let start = Date()
        let base: Int64 = 1_780_000_000_000
        try database.pool.write { db in
            let thread = try db.makeStatement(sql: """
                INSERT INTO threads (id, inn, company_name, company_name_folded, notes, created_at_ms, updated_at_ms,
                report_count, last_version, latest_report_id, latest_score, latest_level, seq) VALUES (?, ?, ?, ?, '', ?, ?, 1, 1, ?, ?, ?, ?)
                """)
            let report = try db.makeStatement(sql: """
                INSERT INTO reports (id, thread_id, version, parent_report_id, job_id, inn, company_name, company_name_folded, score,
                level, confidence, marker_count, has_pdf, created_at_ms, record) VALUES (?, ?, 1, '', NULL, ?, ?, ?, ?, ?, 0.8, 3, 0, ?, ?)
                """)
            let search = try db.makeStatement(sql: "INSERT INTO threads_fts (rowid, inn, company_name, summary, notes) VALUES (?, ?, ?, ?, '')")
            let names = try db.makeStatement(sql: "INSERT INTO threads_trigram (rowid, name) VALUES (?, ?)")
            for i in existing..<count {
                let time = base + Int64(i) * 30_000
                let threadID = String(format: "t%012llx%08x", time, i)
                let reportID = String(format: "r%012llx%08x", time, i)
                let inn = String(format: "%010d", 1_000_000_000 + i)
                let name = "ООО \(words.randomElement(using: &generator)!.capitalized)\(words.randomElement(using: &generator)!) \(i % 997)"
                let score = Double(Int.random(in: 0...100, using: &generator))
                let level: CommonV1.RiskLevel = score < 25 ? .low : score < 50 ? .medium : score < 75 ? .high : .critical
                let summary = summaries.randomElement(using: &generator)!
                let record = try CommonV1.Report.with {
                    $0.id = reportID; $0.threadId = threadID; $0.version = 1; $0.inn = inn; $0.clientName = name
                    $0.risk = .with { $0.score = score; $0.level = level }
                    $0.narrative = .with { $0.summary = summary }
                    $0.createdAtMs = time
                }.serializedBytes()
                let seq = i + 1
                try thread.execute(arguments: [threadID, inn, name, name.lowercased(), time, time, reportID, score, level.protoNumber, seq])
                try report.execute(arguments: [reportID, threadID, inn, name, name.lowercased(), score, level.protoNumber, time, Data(record)])
                try search.execute(arguments: [seq, inn, SearchWords.fold(name), SearchWords.fold(summary)])
                try names.execute(arguments: [seq, name.lowercased()])
            }
        }
        print("seed: \(count - existing) threads in \(Int(Date().timeIntervalSince(start))) s")
    }
}
