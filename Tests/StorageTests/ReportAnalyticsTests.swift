import Contracts
import Foundation
import RPCCore
import ReportChanges
import Storage
import Synchronization
import Testing

/// Comparison, statistics, timeline and export of reports.
@Suite("Report analytics")
struct ReportAnalyticsTests {
    /// 2027-01-15 12:00 UTC, a Friday.
    static let friday: Int64 = 1_800_014_400_000

    static func marker(_ code: String, _ contribution: Double, _ severity: CommonV1.Severity = .medium) -> CommonV1.Marker {
        .with { $0.code = code; $0.title = code; $0.contribution = contribution; $0.severity = severity }
    }

    @Test("a diff names score, level, markers added, removed and changed, category deltas and source changes")
    func diff() {
        let base = CommonV1.Report.with {
            $0.id = "r1"
            $0.risk = .with {
                $0.score = 30; $0.level = .medium
                $0.markers = [Self.marker("LAWSUITS_DEFENDANT", 10), Self.marker("MASS_ADDRESS", 5), Self.marker("YOUNG_COMPANY", 3)]
                $0.categories = [.with { $0.category = .legal; $0.score = 40 }, .with { $0.category = .financial; $0.score = 10 }]
            }
            $0.sources = [.with { $0.source = .casebook; $0.state = .error }, .with { $0.source = .dadata; $0.state = .ok }]
        }
        let rerun = CommonV1.Report.with {
            $0.id = "r2"
            $0.risk = .with {
                $0.score = 62; $0.level = .high
                $0.markers = [Self.marker("LAWSUITS_DEFENDANT", 25, .high), Self.marker("MASS_ADDRESS", 5), Self.marker("TAX_DEBT", 12)]
                $0.categories = [.with { $0.category = .legal; $0.score = 70 }, .with { $0.category = .financial; $0.score = 10 }]
            }
            $0.sources = [.with { $0.source = .casebook; $0.state = .ok }, .with { $0.source = .dadata; $0.state = .ok }]
        }
        let diff = ReportComparison.diff(base: base, report: rerun)
        #expect(diff.baseReportId == "r1" && diff.reportId == "r2")
        #expect(diff.scoreBefore == 30 && diff.scoreAfter == 62 && diff.levelBefore == .medium && diff.levelAfter == .high)
        #expect(diff.markerChanges.map { "\($0.kind.protoName) \($0.code)" } == [
            "KIND_CHANGED LAWSUITS_DEFENDANT", "KIND_ADDED TAX_DEBT", "KIND_REMOVED YOUNG_COMPANY",
        ])
        #expect(diff.markerChanges[0].contributionBefore == 10 && diff.markerChanges[0].contributionAfter == 25)
        #expect(diff.categoryDeltas == ["legal": 30])
        #expect(diff.sourceChanges == ["casebook: error → ok"])
    }

    @Test("stats count today and this week in the caller's time zone; the timeline has a point per day", arguments: RecordStoreConformanceTests.Backend.allCases)
    func statsAndTimeline(backend: RecordStoreConformanceTests.Backend) async throws {
        let clock = ManualClock(Self.friday - 9 * 86_400_000)  // nine days back: the Wednesday of the week before
        let store = try await backend.make()
        let reports = ReportsService(store: store, now: { clock.now })
        func put(_ inn: String, score: Double, level: CommonV1.RiskLevel, at time: Int64) async throws {
            clock.set(time)
            _ = try await reports.putReport(.with { $0.report = .with { $0.inn = inn; $0.risk = .with { $0.score = score; $0.level = level } } })
        }
        try await put("7707083893", score: 20, level: .low, at: Self.friday - 9 * 86_400_000)
        try await put("7707083893", score: 80, level: .critical, at: Self.friday - 3 * 86_400_000)  // Tuesday
        try await put("7736050003", score: 60, level: .high, at: Self.friday - 3_600_000)  // today, 11:00 UTC
        clock.set(Self.friday)

        let stats = try await store.stats(RecordFilter(), utcOffsetMinutes: 0, now: Self.friday)
        #expect(stats.totalReports == 3 && stats.totalThreads == 2)
        #expect(stats.today == 1 && stats.thisWeek == 2 && stats.highRisk == 2)
        #expect(abs(stats.averageScore - 160.0 / 3) < 1e-9)
        #expect(stats.byLevel == ["low": 1, "critical": 1, "high": 1])
        // At UTC-13 it is still Thursday 23:00: the report made at 11:00 UTC (22:00 there) is today there too; the
        // Tuesday one (Monday 23:00 there) is still this week.
        let west = try await store.stats(RecordFilter(), utcOffsetMinutes: -13 * 60, now: Self.friday)
        #expect(west.today == 1 && west.thisWeek == 2)
        // At UTC-12 Friday has just begun (00:00): the 11:00 UTC report was made on Thursday there.
        let dateline = try await store.stats(RecordFilter(), utcOffsetMinutes: -12 * 60, now: Self.friday)
        #expect(dateline.today == 0 && dateline.thisWeek == 2)

        let timeline = try await store.timeline(RecordFilter(), days: 10, now: Self.friday)
        #expect(timeline.count == 10)
        #expect(timeline.first?.date == "2027-01-06" && timeline.last?.date == "2027-01-15")
        #expect(timeline.map(\.count) == [1, 0, 0, 0, 0, 0, 1, 0, 0, 1])
        #expect(timeline[6].highRisk == 1 && timeline[6].averageScore == 80)
    }

    @Test("export writes every matching report as CSV (RFC 4180 quoting) or as a JSON array", arguments: RecordStoreConformanceTests.Backend.allCases)
    func export(backend: RecordStoreConformanceTests.Backend) async throws {
        let store = try await backend.make()
        let reports = ReportsService(store: store, now: { Self.friday })
        _ = try await reports.putReport(.with { $0.report = .with { $0.inn = "7707083893"; $0.clientName = "ООО \"Ромашка\", филиал" } })
        _ = try await reports.putReport(.with { $0.report = .with { $0.inn = "7736050003"; $0.clientName = "Газпром" } })

        func exported(_ format: StorageV1.ExportFormat) async throws -> (String, String) {
            let chunks = Mutex<[StorageV1.Chunk]>([])
            try await reports.export(.with { $0.format = format }) { chunk in chunks.withLock { $0.append(chunk) } }
            let all = chunks.withLock { $0 }
            return (all.first?.contentType ?? "", String(decoding: all.flatMap(\.data), as: UTF8.self))
        }
        let (csvType, csv) = try await exported(.csv)
        #expect(csvType == "text/csv; charset=utf-8")
        let lines = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.count == 3 && lines[0].hasPrefix("id,thread_id,version,inn,company_name"))
        #expect(csv.contains("\"ООО \"\"Ромашка\"\", филиал\""))

        let (jsonType, json) = try await exported(.json)
        #expect(jsonType == "application/json")
        let rows = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]]
        #expect(rows?.count == 2 && rows?.compactMap { $0["inn"] as? String }.sorted() == ["7707083893", "7736050003"])

        let refused = await #expect(throws: RPCError.self) { try await reports.export(.init()) { _ in } }
        #expect(refused?.code == .invalidArgument)
    }
}
