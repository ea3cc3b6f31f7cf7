import Contracts
import Foundation
import RPCCore
import Storage
import Synchronization
import Testing

/// Threads and reports through their services, on every record backend: a SQLite file, SQLite in memory and
/// Tarantool (a namespace of its own per test; the suite fails when Tarantool cannot start).
@Suite("Threads and reports")
struct RecordStoreConformanceTests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case sqliteFile
        case sqliteMemory
        case tarantool

        var testDescription: String { rawValue }

        func make() async throws -> any RecordStore {
            try await stores().records
        }

        /// The record and access stores of one fresh database (or namespace).
        func stores() async throws -> (records: any RecordStore, access: any AccessStore) {
            switch self {
            case .sqliteFile:
                let database = try SQLiteDatabase(
                    path: FileManager.default.temporaryDirectory.appendingPathComponent("cla-records-\(UUID().uuidString)/s.sqlite").path)
                return (SQLiteRecordStore(database: database), SQLiteAccessStore(database: database))
            case .sqliteMemory:
                let database = try SQLiteDatabase.inMemory()
                return (SQLiteRecordStore(database: database), SQLiteAccessStore(database: database))
            case .tarantool:
                let (client, namespace) = try await TarantoolServer.client()
                return (TarantoolRecordStore(client: client, namespace: namespace), TarantoolAccessStore(client: client, namespace: namespace))
            }
        }
    }

    struct Fixture {
        let clock = ManualClock()
        let threads: ThreadsService
        let reports: ReportsService

        init(_ backend: Backend) async throws {
            let store = try await backend.make()
            let clock = self.clock
            threads = ThreadsService(store: store, now: { clock.now })
            reports = ReportsService(store: store, now: { clock.now })
        }

        @discardableResult
        func put(inn: String, name: String = "", score: Double = 10, level: CommonV1.RiskLevel = .low, summary: String = "", job: String = "") async throws -> CommonV1.Report {
            clock.advance(by: 1)
            return try await reports.putReport(.with {
                $0.report = .with {
                    $0.inn = inn
                    $0.company = .with { $0.shortName = name }
                    $0.risk = .with { $0.score = score; $0.level = level; $0.markers = [.init(), .init()] }
                    $0.narrative = .with { $0.summary = summary }
                }
                $0.jobId = job
            }).report ?? .init()
        }
    }

    @Test("create is idempotent per INN; reports are versions n+1 linked to their parent", arguments: Backend.allCases)
    func versions(backend: Backend) async throws {
        let f = try await Fixture(backend)
        let created = try await f.threads.createThread(.with { $0.inn = "7707083893"; $0.companyName = "Сбербанк" })
        let again = try await f.threads.createThread(.with { $0.inn = "7707083893" })
        #expect(created.created && !again.created && created.thread?.id == again.thread?.id)

        let first = try await f.put(inn: "7707083893", name: "ПАО СБЕРБАНК", score: 12)
        let second = try await f.put(inn: "7707083893", name: "ПАО СБЕРБАНК", score: 55, level: .high)
        #expect(first.version == 1 && second.version == 2)
        #expect(first.threadId == created.thread?.id && second.parentReportId == first.id)

        let thread = try await f.threads.getThread(.with { $0.key = .inn("7707083893") })
        #expect(thread.reports.map(\.version) == [1, 2])
        #expect(thread.thread?.reportCount == 2 && thread.thread?.latest?.id == second.id && thread.thread?.companyName == "ПАО СБЕРБАНК")
        #expect(thread.reports.last?.markerCount == 2 && thread.reports.last?.level == .high)
    }

    @Test("a job stores at most one report; a report for a new INN creates its thread", arguments: Backend.allCases)
    func jobDeduplication(backend: Backend) async throws {
        let f = try await Fixture(backend)
        let first = try await f.reports.putReport(.with { $0.report = .with { $0.inn = "500100732259" }; $0.jobId = "j1" })
        let again = try await f.reports.putReport(.with { $0.report = .with { $0.inn = "500100732259" }; $0.jobId = "j1" })
        #expect(first.created && !again.created && first.report?.id == again.report?.id)
        #expect(try await f.threads.getThread(.with { $0.key = .inn("500100732259") }).reports.count == 1)
    }

    @Test("list and count filter by INN, name (any case, Cyrillic), level, score and date, newest first", arguments: Backend.allCases)
    func filters(backend: Backend) async throws {
        let f = try await Fixture(backend)
        try await f.put(inn: "7707083893", name: "ПАО СБЕРБАНК", score: 20, level: .low)
        let from = f.clock.now + 1
        try await f.put(inn: "7736050003", name: "ПАО ГАЗПРОМ", score: 60, level: .high)
        try await f.put(inn: "1027700132", name: "ООО Ромашка", score: 80, level: .critical)

        func threads(_ filter: CommonV1.ReportFilter) async throws -> [String] {
            try await f.threads.listThreads(.with { $0.filter = filter }).threads.map(\.inn)
        }
        #expect(try await threads(.init()) == ["1027700132", "7736050003", "7707083893"])
        #expect(try await threads(.with { $0.nameContains = "ромаш" }) == ["1027700132"])
        #expect(try await threads(.with { $0.levels = [.high, .critical] }) == ["1027700132", "7736050003"])
        #expect(try await threads(.with { $0.minScore = 50; $0.maxScore = 70 }) == ["7736050003"])
        #expect(try await threads(.with { $0.createdFromMs = from }) == ["1027700132", "7736050003"])
        #expect(try await threads(.with { $0.inn = "7707083893" }) == ["7707083893"])
        let count = try await RouterCall.unary(register: f.threads.register, StorageV1.Threads.Method.CountThreads.self, .with { $0.filter = .with { $0.levels = [.high, .critical] } })
        #expect(count.count == 2)
        #expect(try await RouterCall.unary(register: f.threads.register, StorageV1.Threads.Method.CountThreads.self, .init()).count == 3)
        let reports = try await f.reports.listReports(.with { $0.filter = .with { $0.nameContains = "пао" } })
        #expect(reports.reports.map(\.inn) == ["7736050003", "7707083893"])

        let bad = await #expect(throws: RPCError.self) {
            try await f.threads.listThreads(.with { $0.filter = .with { $0.minScore = 80; $0.maxScore = 10 } })
        }
        #expect(bad?.message.hasPrefix("filter.max_score: must not be below min_score") == true)
    }

    @Test("paging is stable while threads are added", arguments: Backend.allCases)
    func paging(backend: Backend) async throws {
        let f = try await Fixture(backend)
        for i in 0..<9 { try await f.put(inn: String(format: "77000000%02d", i)) }
        var seen: [String] = []
        var cursor = ""
        repeat {
            let page = try await f.threads.listThreads(.with { $0.page = .with { $0.pageSize = 4; $0.cursor = cursor } })
            seen += page.threads.map(\.inn)
            cursor = page.page?.nextCursor ?? ""
            if seen.count == 4 { try await f.put(inn: "7799999999") }  // newer than every page: not in this walk
        } while !cursor.isEmpty
        #expect(seen == (0..<9).reversed().map { String(format: "77000000%02d", $0) })
    }

    @Test("name filters match substrings literally, short or long, with GLOB characters; search pages newest first", arguments: Backend.allCases)
    func nameFilterAndSearchPaging(backend: Backend) async throws {
        let f = try await Fixture(backend)
        try await f.put(inn: "1000000001", name: "ООО Альфа*[Бета]?")
        try await f.put(inn: "1000000002", name: "ООО Ромашка")
        for i in 3...7 { try await f.put(inn: "100000000\(i)", name: "Альфа Строй \(i)") }
        func names(_ needle: String) async throws -> [String] {
            try await f.threads.listThreads(.with { $0.filter = .with { $0.nameContains = needle } }).threads.map(\.inn)
        }
        #expect(try await names("а*[б") == ["1000000001"])
        #expect(try await names("]?") == ["1000000001"])
        #expect(try await names("ом") == ["1000000002"])
        #expect(try await names("РОМАШ") == ["1000000002"])
        #expect(try await names("альфа с").count == 5)

        var seen: [String] = []
        var cursor = ""
        repeat {
            let page = try await f.threads.searchThreads(.with { $0.query = "альфа"; $0.page = .with { $0.pageSize = 2; $0.cursor = cursor } })
            seen += page.threads.map(\.inn)
            cursor = page.page?.nextCursor ?? ""
        } while !cursor.isEmpty
        #expect(seen == ["1000000007", "1000000006", "1000000005", "1000000004", "1000000003", "1000000001"])
    }

    @Test("search finds Cyrillic words by prefix, INNs and summary words; deleting removes from search", arguments: Backend.allCases)
    func search(backend: Backend) async throws {
        let f = try await Fixture(backend)
        try await f.put(inn: "1027700132", name: "ООО Ромашка", summary: "Компания участвует в арбитражных делах как ответчик")
        try await f.put(inn: "7707083893", name: "ПАО СБЕРБАНК", summary: "Крупнейший банк")
        func search(_ query: String) async throws -> [String] {
            try await f.threads.searchThreads(.with { $0.query = query }).threads.map(\.inn)
        }
        #expect(try await search("ромашк") == ["1027700132"])
        #expect(try await search("РОМАШКА") == ["1027700132"])
        #expect(try await search("арбитраж ответчик") == ["1027700132"])
        #expect(try await search("7707083893") == ["7707083893"])
        #expect(try await search("банк") == ["7707083893"])
        let bad = await #expect(throws: RPCError.self) { try await search("  \"*  ") }
        #expect(bad?.code == .invalidArgument)

        let id = try await f.threads.getThread(.with { $0.key = .inn("1027700132") }).thread?.id ?? ""
        let deleted = try await Self.deleteThread(f, id)
        #expect(deleted.reportsDeleted == 1)
        #expect(try await search("ромашк").isEmpty)
        let gone = await #expect(throws: RPCError.self) { try await f.threads.getThread(.with { $0.key = .id(id) }) }
        #expect(gone?.code == .notFound)
        #expect(try await f.reports.listReports(.with { $0.filter = .with { $0.inn = "1027700132" } }).reports.isEmpty)
    }

    @Test("deleting reports moves the thread's latest version back and reports unknown ids", arguments: Backend.allCases)
    func deleteReports(backend: Backend) async throws {
        let f = try await Fixture(backend)
        let first = try await f.put(inn: "7707083893", score: 10)
        let second = try await f.put(inn: "7707083893", score: 90, level: .critical)
        let result = try await Self.deleteReports(f, [second.id, "r-nope"])
        #expect(result.deleted == 1 && result.notFound == ["r-nope"])
        let thread = try await f.threads.getThread(.with { $0.key = .inn("7707083893") }).thread
        #expect(thread?.reportCount == 1 && thread?.latest?.id == first.id)
        #expect(try await f.put(inn: "7707083893").version == 3)  // versions are never reused
    }

    @Test("the latest report by thread or INN; report lists filter by thread and latest only, and page by id", arguments: Backend.allCases)
    func latestAndReportLists(backend: Backend) async throws {
        let f = try await Fixture(backend)
        let sber1 = try await f.put(inn: "7707083893", name: "ПАО СБЕРБАНК", score: 10)
        let gazprom = try await f.put(inn: "7736050003", name: "ПАО ГАЗПРОМ", score: 40, level: .medium)
        let sber2 = try await f.put(inn: "7707083893", name: "ПАО СБЕРБАНК", score: 70, level: .high)

        func latest(_ key: StorageV1.GetLatestReportRequest.Key) async throws -> String {
            try await RouterCall.unary(register: f.reports.register, StorageV1.Reports.Method.GetLatestReport.self, .with { $0.key = key }).report?.id ?? ""
        }
        #expect(try await latest(.inn("7707083893")) == sber2.id)
        #expect(try await latest(.threadId(gazprom.threadId)) == gazprom.id)
        let none = await #expect(throws: RPCError.self) { try await latest(.inn("500100732259")) }
        #expect(none?.code == .notFound)

        func reports(_ filter: CommonV1.ReportFilter) async throws -> [String] {
            try await f.reports.listReports(.with { $0.filter = filter }).reports.map(\.id)
        }
        #expect(try await reports(.init()) == [sber2.id, gazprom.id, sber1.id])
        #expect(try await reports(.with { $0.threadId = sber1.threadId }) == [sber2.id, sber1.id])
        #expect(try await reports(.with { $0.latestOnly = true }) == [sber2.id, gazprom.id])
        #expect(try await reports(.with { $0.inn = "7707083893"; $0.maxScore = 50 }) == [sber1.id])
        #expect(try await reports(.with { $0.threadId = sber1.threadId; $0.latestOnly = true; $0.levels = [.high] }) == [sber2.id])

        var seen: [String] = []
        var cursor = ""
        repeat {
            let page = try await f.reports.listReports(.with { $0.page = .with { $0.pageSize = 2; $0.cursor = cursor } })
            seen += page.reports.map(\.id)
            cursor = page.page?.nextCursor ?? ""
        } while !cursor.isEmpty
        #expect(seen == [sber2.id, gazprom.id, sber1.id])
        let compared = try await RouterCall.unary(
            register: f.reports.register, StorageV1.Reports.Method.CompareReports.self, .with { $0.baseReportId = sber1.id; $0.reportId = sber2.id })
        #expect(compared.diff?.scoreBefore == 10 && compared.diff?.scoreAfter == 70 && compared.diff?.levelAfter == .high)

        // A report of 60 KB (Tarantool keeps reports in 8000-byte chunks) comes back whole, also as the latest.
        let long = String(repeating: "Компания участвует в арбитражных делах. ", count: 800)
        let big = try await f.reports.putReport(.with { $0.report = .with { $0.inn = "7736050003"; $0.narrative = .with { $0.summary = long } } }).report
        #expect(try await f.reports.listReports(.with { $0.filter = .with { $0.inn = "7736050003" } }).reports.first?.id == big?.id)
        #expect(try await latest(.inn("7736050003")) == big?.id)
        let fetched = try await RouterCall.unary(register: f.reports.register, StorageV1.Reports.Method.GetReport.self, .with { $0.id = big?.id ?? "" })
        #expect(fetched.report == big)
    }

    @Test("search folds case and diacritics (ё as е) in names, notes and queries", arguments: Backend.allCases)
    func foldedSearch(backend: Backend) async throws {
        let f = try await Fixture(backend)
        try await f.put(inn: "1027700132", name: "ООО Ёлочка")
        _ = try await f.threads.createThread(.with { $0.inn = "7707083893"; $0.notes = "Проверка по заявке Семёнова" })
        func search(_ query: String) async throws -> [String] {
            try await f.threads.searchThreads(.with { $0.query = query }).threads.map(\.inn)
        }
        #expect(try await search("елочк") == ["1027700132"])
        #expect(try await search("ЁЛОЧКА") == ["1027700132"])
        #expect(try await search("семенов заявк") == ["7707083893"])
        #expect(try await search("семёнов ёлочка").isEmpty)
    }

    @Test("search words of every length match as prefixes, Latin letters without their marks", arguments: Backend.allCases)
    func searchLongWords(backend: Backend) async throws {
        let f = try await Fixture(backend)
        try await f.put(inn: "5000000001", name: "ООО Строительная компания")
        try await f.put(inn: "5000000002", name: "ООО Строительство")
        try await f.put(inn: "5000000003", name: "ЗАО Строительствомонтаж", summary: "Développements Généraux de l'Énergie")
        func search(_ query: String) async throws -> [String] {
            try await f.threads.searchThreads(.with { $0.query = query }).threads.map(\.inn)
        }
        // SQLite indexes prefixes of up to 12 letters; the doclists of longer ones are merged at query time.
        #expect(try await search("строительна") == ["5000000001"])
        #expect(try await search("строительны").isEmpty)
        #expect(try await search("строительство") == ["5000000003", "5000000002"])
        #expect(try await search("строительства").isEmpty)
        #expect(try await search("ооо строительствомонтаж").isEmpty)
        #expect(try await search("СТРОИТЕЛЬСТВОМОНТАЖ зао") == ["5000000003"])
        #expect(try await search("developpements energie") == ["5000000003"])
        #expect(try await search("DÉVELOPPEMENTS") == ["5000000003"])
        #expect(try await search("developpementz").isEmpty)
        let first = try await f.threads.searchThreads(.with { $0.query = "строительство"; $0.page = .with { $0.pageSize = 1 } })
        let second = try await f.threads.searchThreads(.with {
            $0.query = "строительство"
            $0.page = .with { $0.pageSize = 1; $0.cursor = first.page?.nextCursor ?? "" }
        })
        #expect(first.threads.map(\.inn) == ["5000000003"])
        #expect(second.threads.map(\.inn) == ["5000000002"])
    }

    @Test("search pages newest first whether a word matches a few indexed words or very many", arguments: Backend.allCases)
    func searchManyWords(backend: Backend) async throws {
        let f = try await Fixture(backend)
        for i in 0..<40 { try await f.put(inn: String(format: "77000001%02d", i), name: "ООО Альфа\(i)") }
        func all(_ query: String) async throws -> [String] {
            var seen: [String] = []
            var cursor = ""
            repeat {
                let page = try await f.threads.searchThreads(.with { $0.query = query; $0.page = .with { $0.pageSize = 7; $0.cursor = cursor } })
                seen += page.threads.map(\.inn)
                cursor = page.page?.nextCursor ?? ""
            } while !cursor.isEmpty
            return seen
        }
        // "альф" starts 40 different words (альфа0 … альфа39); "альфа1" eleven; "ооо" one, in every thread.
        #expect(try await all("альф") == (0..<40).reversed().map { String(format: "77000001%02d", $0) })
        #expect(try await all("ооо альфа1") == ([1] + Array(10...19)).reversed().map { String(format: "77000001%02d", $0) })
        #expect(try await all("альфа3 альф") == ([3] + Array(30...39)).reversed().map { String(format: "77000001%02d", $0) })
        #expect(try await all("альфа1 альфа2").isEmpty)
    }

    /// DeleteThread and DeleteReports are registered handlers only; call them through an in-memory router.
    static func deleteThread(_ f: Fixture, _ id: String) async throws -> StorageV1.DeleteThreadResponse {
        try await RouterCall.unary(register: f.threads.register, StorageV1.Threads.Method.DeleteThread.self, .with { $0.id = id })
    }

    static func deleteReports(_ f: Fixture, _ ids: [String]) async throws -> StorageV1.DeleteReportsResponse {
        try await RouterCall.unary(register: f.reports.register, StorageV1.Reports.Method.DeleteReports.self, .with { $0.ids = ids })
    }
}
