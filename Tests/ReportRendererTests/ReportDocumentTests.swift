import Contracts
import ReportFixtures
@testable import ReportRenderer
import Testing

/// What the reader sees: sections, and above all what stands where data is missing.
@Suite("Report document")
struct ReportDocumentTests {
    static func document(_ report: CommonV1.Report, _ configure: (inout ReportDocument.Options) -> Void = { _ in }) -> ReportDocument {
        var options = ReportDocument.Options()
        options.generatedAtMs = 1_795_167_000_000
        configure(&options)
        return ReportDocument(report: report, options: options)
    }

    static func section(_ document: ReportDocument, _ id: String) -> ReportDocument.Section? {
        document.sections.first { $0.id == id }
    }

    static func missingReasons(_ section: ReportDocument.Section?) -> [String] {
        section?.blocks.compactMap { if case .missing(let reason) = $0 { reason } else { nil } } ?? []
    }

    static func tables(_ section: ReportDocument.Section?) -> [ReportDocument.Table] {
        section?.blocks.compactMap { if case .table(let table) = $0 { table } else { nil } } ?? []
    }

    @Test("a clean report: title, identifiers, every section in order, court cases listed")
    func clean() {
        let document = Self.document(ReportFixtures.clean)
        #expect(document.title == "ООО \"СЕВЕРНЫЙ ВЕТЕР\"")
        #expect(document.identifiers == "ИНН 7705123452 · ОГРН 1027700123450 · КПП 770501001")
        #expect(document.versionLine.hasPrefix("Отчёт № 1 от 20.11.2026 12:30 (МСК)"))
        #expect(document.sections.map(\.id) == ["verdict", "company", "categories", "markers", "court", "registries", "web", "narrative", "sources", "citations"])
        #expect(Self.tables(Self.section(document, "court")).first?.rows.count == 2)
        #expect(document.watermark == "ТЕСТОВЫЕ ДАННЫЕ")  // sandbox reports are marked
        #expect(document.metadata.createdAt == "2026-11-20T09:30:00")
    }

    @Test("a failed source shows as 'нет данных' with its reason, never as an empty finding")
    func failedSources() {
        let document = Self.document(ReportFixtures.partial)
        #expect(Self.missingReasons(Self.section(document, "court")) == ["нет данных: Casebook — ошибка: HTTP 503 после 3 попыток"])
        #expect(Self.missingReasons(Self.section(document, "web"))
            == ["нет данных: Tavily — нет ответа (таймаут): нет ответа за 10 с; Perplexity — не настроен: не задан ключ API"])
        // InfoSphere answered (from cache) with nothing: that is a real "nothing found".
        #expect(Self.missingReasons(Self.section(document, "registries")).isEmpty)
        let sources = Self.tables(Self.section(document, "sources")).first
        let casebook = sources?.rows.first { $0[0].text == "Casebook" }
        #expect(casebook?[4].text == "—")  // no item count for a failed source
        #expect(casebook?[3].text.contains("3\u{00A0}попытки") == true)
        // Categories whose sources failed are "нет данных", not zero.
        let bars = Self.section(document, "categories")?.blocks.compactMap { if case .bars(let bars) = $0 { bars } else { nil } }.first
        #expect(bars?.first { $0.label == "Судебные" }?.value == nil)
    }

    @Test("no company card: the card says why; no risk: the verdict says so; insufficient data claims no score")
    func missingEverything() {
        var report = ReportFixtures.partial
        report.company = nil
        report.sources[0].state = .notFound
        report.sources[0].reason = "ИНН не найден в ЕГРЮЛ"
        report.risk = nil
        let document = Self.document(report)
        #expect(document.title == "Компания с ИНН 5026112237")
        #expect(Self.missingReasons(Self.section(document, "company")) == ["нет данных: DaData — нет сведений о компании: ИНН не найден в ЕГРЮЛ"])
        #expect(Self.missingReasons(Self.section(document, "verdict")) == ["нет данных: оценка риска не выполнена"])

        report.risk = .with { $0.level = .insufficientData; $0.score = 0 }
        let insufficient = Self.document(report)
        guard case .gauge(let gauge) = Self.section(insufficient, "verdict")?.blocks.first else {
            Issue.record("the verdict starts with a gauge")
            return
        }
        #expect(gauge.score == nil)
        #expect(gauge.levelLabel == "Недостаточно данных")
        #expect(gauge.facts.first { $0.label == "Балл" }?.value == "не рассчитан")
    }

    static func text(_ section: ReportDocument.Section?) -> String {
        (section?.blocks ?? []).map { block -> String in
            switch block {
            case .paragraph(let text, _), .missing(let text): text
            case .bars(let bars): bars.map { "\($0.label): \($0.caption)" }.joined(separator: "\n")
            case .table(let table): table.rows.map { $0.map(\.text).joined(separator: " | ") }.joined(separator: "\n")
            case .list(let items): items.map(\.text).joined(separator: "\n")
            case .fields(let fields): fields.map { "\($0.label): \($0.value)" }.joined(separator: "\n")
            case .gauge(let gauge): gauge.facts.map { "\($0.label): \($0.value)" }.joined(separator: "\n")
            case .timeline: ""
            }
        }.joined(separator: "\n")
    }

    @Test("an unidentified company: every section says it is not identified; the title is not the client's name for it")
    func unidentified() {
        let document = Self.document(ReportFixtures.unidentified)
        #expect(document.title == "Компания с ИНН 3900123459")
        #expect(document.clientLines == ["Название со слов клиента: ООО «Балтийский янтарь»", "Примечания клиента: Поставщик янтаря, договор на 2 млн ₽"])
        let verdict = Self.text(Self.section(document, "verdict"))
        #expect(verdict.contains("Компанию не удалось идентифицировать"))
        #expect(verdict.contains("Что сделать: сверить ИНН с документами контрагента"))
        #expect(verdict.contains("Достоверность: 0\u{00A0}%"))
        for id in ["court", "registries", "web"] {
            #expect(Self.missingReasons(Self.section(document, id)) == [SourceIndex.unidentifiedNote], "\(id)")
        }
        #expect(Self.missingReasons(Self.section(document, "markers")) == ["нет данных: факторы риска не оценивались — компания не идентифицирована"])
        #expect(Self.missingReasons(Self.section(document, "categories")) == ["нет данных: компания не идентифицирована, категории не оценивались"])
    }

    @Test("a partial or failed source speaks in place: found items are 'only what was received', no markers is not 'clean'")
    func partialSources() {
        var report = ReportFixtures.clean
        report.sources[3].state = .partial
        report.sources[3].queries = 9
        report.sources[3].queriesAnswered = 3
        report.sources[3].reason = "ответил на 3 из 9 запросов; остальные: HTTP 503"
        report.risk?.markers = []
        report.risk?.categories[2].hasData = false
        report.risk?.categories[2].missingSources = [.tavily]
        let document = Self.document(report)
        #expect(Self.missingReasons(Self.section(document, "web"))
            == ["нет данных: Tavily — частично: ответил на 3 из 9 запросов; остальные: HTTP 503 — показано только полученное"])
        #expect(Self.text(Self.section(document, "verdict")).contains("Проверка неполная"))
        #expect(Self.text(Self.section(document, "markers")) == "По ответившим источникам факторы риска не выявлены; не проверено: Tavily.")
        #expect(Self.missingReasons(Self.section(document, "categories")) == ["нет данных: Репутационные — без ответа Tavily"])
        let tavily = Self.tables(Self.section(document, "sources")).first?.rows.first { $0[0].text == "Tavily" }
        #expect(tavily?[1].text == "Частично: 3 из 9 запросов")
        #expect(tavily?[1].tone == .caution)

        // Web search failed entirely while Perplexity answered with nothing: not "no mentions".
        report.webMentions = []
        report.sources[3].state = .circuitOpen
        report.sources[3].unavailableSinceMs = 1_795_166_000_000
        report.sources[3].reason = "провайдер недоступен"
        let failed = Self.document(report)
        let web = Self.text(Self.section(failed, "web"))
        #expect(web.contains("нет данных: Tavily — провайдер недоступен") && web.contains("Ответившие источники (Perplexity) упоминаний не нашли."))
        #expect(!web.contains("Упоминаний компании в интернете не найдено"))
        let row = Self.tables(Self.section(failed, "sources")).first?.rows.first { $0[0].text == "Tavily" }
        #expect(row?[1].text == "Провайдер недоступен")
        #expect(row?[2].text.hasPrefix("с 20.11.2026 12:13 (МСК): после сбоев при проверке разных компаний") == true)
    }

    @Test("markers are ordered by severity, then contribution")
    func markerOrder() {
        let document = Self.document(ReportFixtures.bankrupt)
        let rows = Self.tables(Self.section(document, "markers")).first?.rows ?? []
        #expect(rows.map { $0[0].text } == ["Критическая", "Высокая", "Высокая", "Средняя", "Средняя"])
        #expect(rows.map { $0[4].text } == ["+60,0", "+30,0", "+25,0", "+12,0", "+10,0"])
    }

    @Test("max_court_cases lists the newest cases and summarises the rest")
    func courtCaseLimit() {
        let document = Self.document(ReportFixtures.bankrupt) { $0.maxCourtCases = 10 }
        let table = Self.tables(Self.section(document, "court")).first
        #expect(table?.rows.count == 10)
        #expect(table?.footnote?.hasPrefix("Показаны 10 последних из 48; ещё 38\u{00A0}дел на сумму") == true)
        let dates = table?.rows.map { $0[1].text } ?? []
        #expect(dates.first == "16.11.2025")
    }

    @Test("the court timeline counts cases per year and role")
    func timeline() throws {
        let timeline = try #require(ReportDocument.timeline(ReportFixtures.bankrupt.courtCases))
        #expect(timeline.years == Array(2019...2025))
        let total = timeline.series.flatMap(\.counts).reduce(0, +)
        #expect(total == 48)
        #expect(timeline.series.map(\.label) == ["Ответчик", "Истец", "Иная роль"])
        #expect(ReportDocument.timeline([]) == nil)
    }

    @Test("a re-run shows the feedback applied and the differences from its parent")
    func rerun() {
        let document = Self.document(ReportFixtures.rerun)
        #expect(document.versionLine.contains("повторный анализ"))
        let changes = Self.section(document, "changes")
        #expect(changes?.title == "Изменения относительно предыдущей версии")
        let text = changes?.blocks.compactMap { block -> String? in
            switch block {
            case .paragraph(let text, _): text
            case .fields(let fields): fields.map { "\($0.label): \($0.value)" }.joined(separator: "\n")
            default: nil
            }
        }.joined(separator: "\n") ?? ""
        #expect(text.contains("Балл: 12,4 → 31,5 (+19,1); уровень: низкий риск → средний риск."))
        #expect(text.contains("Комментарий: Не учтён новый иск"))
        #expect(Self.tables(changes).first?.rows.first?[0].text == "Добавлен")
        #expect(Self.section(Self.document(ReportFixtures.clean), "changes") == nil)
    }

    @Test("options: web mentions can be left out, a watermark set, the time zone chosen")
    func options() {
        let document = Self.document(ReportFixtures.clean) {
            $0.omitWebMentions = true
            $0.watermark = "ЧЕРНОВИК"
            $0.utcOffsetMinutes = 0
        }
        #expect(Self.section(document, "web") == nil)
        #expect(document.watermark == "ЧЕРНОВИК")
        #expect(document.versionLine.contains("09:30 (UTC)"))
    }
}
