import Contracts
import ReportChanges
import Testing

/// The change events between two versions of a report: what monitoring would tell, and what it must not claim.
@Suite("Change detection")
struct ChangeDetectionTests {
    static let sources: [CommonV1.Source] = [.dadata, .casebook, .infosphere, .tavily, .perplexity]

    /// A report of an active company headed by `head`, every source answering, with what `change` adds.
    static func report(_ id: String, score: Double = 12, level: CommonV1.RiskLevel = .low, _ change: (inout CommonV1.Report) -> Void = { _ in }) -> CommonV1.Report {
        var report = CommonV1.Report.with { report in
            report.id = id
            report.inn = "7700000048"
            report.company = .with {
                $0.shortName = "ООО \"ВОСТОКПРОМ\""
                $0.status = .active
                $0.head = .with { $0.name = "Козлов Николай Александрович"; $0.post = "ГЕНЕРАЛЬНЫЙ ДИРЕКТОР" }
                $0.founders = [.with { $0.name = "Козлов Николай Александрович" }]
            }
            report.sources = sources.map { source in .with { $0.source = source; $0.state = .ok } }
            report.risk = .with { $0.score = score; $0.level = level }
            report.courtCases = [.with { $0.number = "А40-100/2025"; $0.court = "АС г. Москвы"; $0.role = .defendant; $0.claimKopecks = 50_000_00 }]
        }
        change(&report)
        return report
    }

    static func source(_ report: inout CommonV1.Report, _ source: CommonV1.Source, _ state: CommonV1.SourceStatus.State, reason: String = "") {
        report.sources = report.sources.map { status in
            guard status.source == source else { return status }
            var changed = status
            changed.state = state
            changed.reason = reason
            return changed
        }
    }

    static let casebookMarker = CommonV1.Marker.with {
        $0.code = "legal.defendant_cases"
        $0.severity = .high
        $0.title = "Много дел в качестве ответчика"
        $0.evidence = [.with { $0.source = .casebook; $0.field = "cases"; $0.value = "14 дел" }]
    }

    @Test("the same report twice: no event")
    func unchanged() {
        #expect(ChangeDetection.events(from: Self.report("r1"), to: Self.report("r2")).isEmpty)
    }

    @Test("a company that went bad: every change is an event with its evidence, most severe first")
    func wentBad() {
        let base = Self.report("r1")
        let now = Self.report("r2", score: 81, level: .critical) { report in
            report.company?.status = .bankrupt
            report.company?.head = .with { $0.name = "Егорова Анна Петровна"; $0.post = "КОНКУРСНЫЙ УПРАВЛЯЮЩИЙ" }
            report.company?.founders.append(.with { $0.name = "ООО \"ХОЛДИНГ\"" })
            report.courtCases += [
                .with { $0.number = "А40-1/2026"; $0.court = "АС г. Москвы"; $0.role = .defendant; $0.claimKopecks = 12_000_000_00; $0.date = "2026-03-02" },
                .with { $0.number = "А40-2/2026"; $0.court = "АС г. Москвы"; $0.role = .plaintiff; $0.claimKopecks = 90_000_000_00 },
                .with { $0.number = "А40-3/2026"; $0.court = "АС г. Москвы"; $0.role = .defendant; $0.bankruptcy = true },
            ]
            report.registryHits = [.with { $0.kind = .sanctions; $0.registry = "terrorist"; $0.title = "Организация включена в перечень"; $0.date = "2026-06-01" }]
            report.risk?.markers = [.with {
                $0.code = "registration.bankrupt"; $0.severity = .critical; $0.title = "Компания в процессе банкротства"
                $0.evidence = [.with { $0.source = .dadata; $0.field = "state.status"; $0.value = "BANKRUPT" }]
            }]
        }
        let events = ChangeDetection.events(from: base, to: now)
        let summaries = events.map(\.summary)
        #expect(summaries.contains("Уровень риска повысился: низкий риск → критический риск"))
        #expect(summaries.contains("Оценка риска выросла: 12 → 81 (+69)"))
        #expect(summaries.contains("Статус в ЕГРЮЛ: действующая → банкротство"))
        #expect(summaries.contains("Новое дело, компания — ответчик: А40-1/2026 (АС г. Москвы), иск 12\u{00A0}000\u{00A0}000\u{00A0}₽"))
        #expect(summaries.contains("Новое дело о банкротстве: А40-3/2026 (АС г. Москвы)"))
        #expect(summaries.contains("Новая запись в реестре (terrorist): Организация включена в перечень"))
        #expect(summaries.contains("Сменился руководитель: Козлов Николай Александрович → Егорова Анна Петровна"))
        #expect(summaries.contains("Состав учредителей изменился — вошли: ООО \"ХОЛДИНГ\""))
        #expect(summaries.contains("Новый фактор риска: Компания в процессе банкротства"))
        // As plaintiff the company sued someone: not a risk event.
        #expect(!summaries.contains { $0.contains("А40-2/2026") })
        #expect(events.count == 9, "\(summaries)")
        // Most severe first, and the evidence names the record.
        #expect(events.map(\.severity) == events.map(\.severity).sorted { $0.protoNumber > $1.protoNumber })
        #expect(events.first?.severity == .critical)
        #expect(events.first { $0.kind == .courtCase && $0.severity == .high }?.evidence.first == "А40-1/2026, АС г. Москвы, 2026-03-02")
        #expect(events.first { $0.kind == .markerAdded }?.evidence == ["DaData, state.status: BANKRUPT"])
    }

    @Test("a source that failed this time: nothing it would show is compared, nothing is 'resolved', and the event says so")
    func failedSourceClaimsNothing() {
        let base = Self.report("r1", score: 40, level: .medium) { $0.risk?.markers = [Self.casebookMarker] }
        let now = Self.report("r2", score: 5, level: .low) { report in
            Self.source(&report, .casebook, .error, reason: "HTTP 503")
            report.courtCases = []
        }
        let events = ChangeDetection.events(from: base, to: now)
        #expect(!events.contains { $0.kind == .markerResolved || $0.kind == .courtCase }, "\(events.map(\.summary))")
        let source = try? #require(events.first { $0.kind == .source })
        #expect(source?.summary == "Casebook в новой версии: ошибка (HTTP 503) — судебные дела не сравнивались")
        #expect(source?.evidence == ["Casebook: получено", "Casebook: ошибка (HTTP 503)"])
        // The level did move, and says only that: "изменился", not that the company got better.
        #expect(events.map(\.summary).contains("Уровень риска изменился: средний риск → низкий риск"))
    }

    @Test("a marker whose sources all answered and no longer fire is resolved; a partial answer is not compared")
    func resolvedAndPartial() {
        let base = Self.report("r1", score: 40, level: .medium) { $0.risk?.markers = [Self.casebookMarker] }
        let resolved = ChangeDetection.events(from: base, to: Self.report("r2", score: 35, level: .medium))
        #expect(resolved.map(\.summary) == ["Фактор риска снят: Много дел в качестве ответчика"])
        #expect(resolved.first?.evidence == ["Casebook, cases: 14 дел"])

        let partial = ChangeDetection.events(from: Self.report("r1"), to: Self.report("r2") { report in
            Self.source(&report, .infosphere, .partial, reason: "2 из 7 реестров не ответили")
            report.registryHits = [.with { $0.kind = .enforcement; $0.registry = "fssp"; $0.title = "Исполнительное производство" }]
        })
        #expect(partial.map(\.summary) == ["InfoSphere в новой версии: частично (2 из 7 реестров не ответили) — записи в реестрах не сравнивались"])
    }

    @Test("a company no registry knows in either version: no event at all")
    func unknownBothTimes() {
        let unknown = { (id: String) in
            Self.report(id, score: 0, level: .insufficientData) { report in
                report.company = nil
                report.courtCases = []
                for source in [CommonV1.Source.dadata, .casebook, .infosphere] { Self.source(&report, source, .notFound) }
            }
        }
        #expect(ChangeDetection.events(from: unknown("r1"), to: unknown("r2")).isEmpty)
    }

    @Test("from insufficient data the level does not 'rise': it is found, as severe as it is")
    func fromInsufficientData() {
        let events = ChangeDetection.events(from: Self.report("r1", score: 0, level: .insufficientData), to: Self.report("r2", score: 5, level: .high))
        #expect(events.first { $0.kind == .level }?.summary == "Уровень риска изменился: недостаточно данных → высокий риск")
        #expect(events.first { $0.kind == .level }?.severity == .high)
    }

    @Test("scores are written as the reports write them")
    func scores() {
        let events = ChangeDetection.events(from: Self.report("r1", score: 11.3), to: Self.report("r2", score: 58.8))
        #expect(events.map(\.summary) == ["Оценка риска выросла: 11,3 → 58,8 (+47,5)"])
    }

    @Test("the diff between two reports carries the change events")
    func diffCarriesEvents() {
        let diff = ReportComparison.diff(base: Self.report("r1"), report: Self.report("r2") { $0.company?.status = .liquidated })
        #expect(diff.changes.map(\.kind) == [.status])
        #expect(diff.changes.first?.severity == .critical)
        #expect(diff.changesCompared)
    }
}
