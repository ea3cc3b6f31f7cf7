internal import Contracts
internal import ServiceKit

extension ReportDocument {
    /// Presentation choices that come with a render request.
    struct Options: Sendable {
        var omitWebMentions = false
        /// Court cases listed in full; the rest are summarised (0: all).
        var maxCourtCases = 0
        var utcOffsetMinutes = 180
        var watermark = ""
        /// When the document is generated, for the footer.
        var generatedAtMs: Int64 = 0

        init() {}

        init(_ options: RenderV1.RenderOptions?, generatedAtMs: Int64) {
            omitWebMentions = options?.omitWebMentions ?? false
            maxCourtCases = Int(options?.maxCourtCases ?? 0)
            utcOffsetMinutes = Int(options?.utcOffsetMinutes ?? 180)
            watermark = options?.watermark ?? ""
            self.generatedAtMs = generatedAtMs
        }
    }

    /// What the reader sees of a report, in the order of the printed report.
    init(report: CommonV1.Report, options: Options) {
        let sources = SourceIndex(report)
        let company = report.company
        // The client's name for the company is its word, not the registry's: it goes in its own line.
        let name = [company?.shortName, company?.fullName].compactMap { $0 }.first { !$0.isEmpty } ?? "Компания с ИНН \(report.inn)"
        title = name
        identifiers = [
            ("ИНН", report.inn), ("ОГРН", company?.ogrn ?? ""), ("КПП", company?.kpp ?? ""),
        ].filter { !$0.1.isEmpty }.map { "\($0.0) \($0.1)" }.joined(separator: " · ")
        clientLines = [("Название со слов клиента", report.clientName), ("Примечания клиента", report.notes)]
            .filter { !$0.1.allSatisfy(\.isWhitespace) }.map { "\($0.0): \($0.1)" }
        let created = RussianFormat.timestamp(milliseconds: report.createdAtMs, utcOffsetMinutes: options.utcOffsetMinutes)
        version = Int(report.version)
        versionLine = "Отчёт № \(report.version) от \(created)"
            + (report.parentReportId.isEmpty ? "" : " · повторный анализ")
            + (report.sandbox ? " · тестовые данные (песочница)" : "")
        let model = report.risk.map { $0.modelVersion.isEmpty ? "" : " · модель оценки \($0.modelVersion)" } ?? ""
        footer = "Client Analyze · сформирован "
            + RussianFormat.timestamp(milliseconds: options.generatedAtMs, utcOffsetMinutes: options.utcOffsetMinutes) + model
        let watermark = options.watermark.isEmpty && report.sandbox ? "ТЕСТОВЫЕ ДАННЫЕ" : options.watermark
        self.watermark = watermark.isEmpty ? nil : watermark
        metadata = Metadata(
            title: "Проверка контрагента: \(name)",
            subject: "Отчёт о проверке контрагента, ИНН \(report.inn), версия \(report.version)",
            author: "Client Analyze",
            keywords: ["проверка контрагента", "ИНН \(report.inn)", RussianLabels.level(report.risk?.level ?? .unspecified)],
            createdAt: UnixTime.isoDateTime(milliseconds: report.createdAtMs))

        var sections: [Section] = []
        sections.append(Self.verdict(report.risk, sources: sources))
        sections.append(Self.card(company, sources: sources))
        sections.append(Self.categories(report.risk, sources: sources))
        sections.append(Self.markers(report.risk, sources: sources))
        sections.append(Self.courtCases(report.courtCases, sources: sources, limit: options.maxCourtCases))
        sections.append(Self.registryHits(report.registryHits, sources: sources))
        if !options.omitWebMentions { sections.append(Self.webMentions(report.webMentions, sources: sources)) }
        sections.append(Self.narrative(report.narrative))
        if let changes = Self.changes(report) { sections.append(changes) }
        sections.append(Self.sourceTable(report.sources, utcOffsetMinutes: options.utcOffsetMinutes))
        if let citations = Self.citations(report.narrative) { sections.append(citations) }
        self.sections = sections
    }
}

/// How each source fared, for the "нет данных" reasons, and whether any registry knows the subject.
struct SourceIndex {
    private let statuses: [CommonV1.Source: CommonV1.SourceStatus]
    /// A registry knows the subject: DaData gave its card or InfoSphere its records. Otherwise every "not
    /// found" in the report is about an INN, not about a company.
    let identified: Bool

    init(_ report: CommonV1.Report) {
        self.init(report.sources, identified: report.company != nil || !report.registryHits.isEmpty)
    }

    init(_ statuses: [CommonV1.SourceStatus], identified: Bool = true) {
        self.statuses = Dictionary(statuses.map { ($0.source, $0) }, uniquingKeysWith: { first, _ in first })
        self.identified = identified
    }

    func answered(_ source: CommonV1.Source) -> Bool {
        statuses[source]?.state.answered == true
    }

    /// Asked, but failed or answered only part of what it was asked (`State.incomplete`).
    func failed(_ source: CommonV1.Source) -> Bool { statuses[source]?.state.incomplete ?? false }

    /// The sources among `sources` that failed or answered partly.
    func failures(_ sources: [CommonV1.Source]) -> [CommonV1.Source] { sources.filter(failed) }

    /// Why a source gave nothing: "нет данных: Casebook — ошибка: HTTP 503 после 3 попыток".
    func missing(_ sources: CommonV1.Source...) -> String { missing(sources) }

    func missing(_ sources: [CommonV1.Source]) -> String {
        let reasons = sources.map { source -> String in
            guard let status = statuses[source] else { return "\(RussianLabels.source(source)) не опрашивался" }
            let reason = status.reason.isEmpty ? "" : ": \(status.reason)"
            return "\(RussianLabels.source(source)) — \(RussianLabels.state(status.state).lowercased())\(reason)"
        }
        return "нет данных: " + reasons.joined(separator: "; ")
    }

    /// What stands in a section about an unidentified subject whose source found nothing.
    static let unidentifiedNote = "нет данных: компания не идентифицирована — отсутствие записей по этому ИНН ничего о ней не говорит"

    /// What stands in place of a source's findings, when they are incomplete: the source failed, answered
    /// partly, or the subject is unknown. Nil when the section's source answered about a known company.
    func incomplete(_ sources: [CommonV1.Source], found: Bool) -> ReportDocument.Block? {
        let failed = failures(sources)
        if !failed.isEmpty {
            return .missing(missing(failed) + (found ? " — показано только полученное" : ""))
        }
        if !identified, !found { return .missing(Self.unidentifiedNote) }
        return nil
    }
}

extension ReportDocument {
    static func tone(_ level: CommonV1.RiskLevel) -> Tone {
        switch level {
        case .low: .good
        case .medium: .caution
        case .high: .warning
        case .critical: .danger
        default: .muted
        }
    }

    static func tone(_ severity: CommonV1.Severity) -> Tone {
        switch severity {
        case .critical: .danger
        case .high: .warning
        case .medium: .caution
        case .low: .neutral
        default: .muted
        }
    }

    /// The zone of a 0–100 score, on the level thresholds 25/50/75.
    static func tone(score: Double) -> Tone {
        score < 25 ? .good : score < 50 ? .caution : score < 75 ? .warning : .danger
    }

    static func verdict(_ risk: CommonV1.RiskAssessment?, sources: SourceIndex) -> Section {
        guard let risk else {
            return Section(id: "verdict", title: "Итоговая оценка", blocks: [.missing("нет данных: оценка риска не выполнена")])
        }
        let insufficient = risk.level == .insufficientData
        var facts = [
            Field(label: "Уровень риска", value: RussianLabels.level(risk.level), tone: tone(risk.level)),
            Field(label: "Балл", value: insufficient ? "не рассчитан" : RussianFormat.decimal(risk.score) + " из 100"),
            Field(label: "Достоверность", value: RussianFormat.percent(fraction: risk.confidence)),
            Field(label: "Охват источников", value: RussianFormat.percent(fraction: risk.sourceCoverage)),
            Field(label: "Факторов риска", value: RussianFormat.integer(Int64(risk.markers.count))),
        ]
        if let unfloored = risk.unflooredLevel, unfloored != risk.level {
            facts.append(Field(
                label: "Уровень повышен", value: "из-за критических факторов; без них был бы «\(RussianLabels.level(unfloored).lowercased())»",
                tone: .warning))
        }
        var blocks: [Block] = [
            .gauge(Gauge(score: insufficient ? nil : risk.score, levelLabel: RussianLabels.level(risk.level), tone: tone(risk.level), facts: facts))
        ]
        if insufficient {
            blocks.append(.paragraph(
                "Компанию не удалось идентифицировать, поэтому уровень риска не определён и достоверность оценки — 0 %: "
                    + "отсутствие судебных дел, записей в реестрах и упоминаний ничего о ней не говорит. "
                    + sources.missing([.dadata] + sources.failures([.infosphere])) + ".", .note))
            blocks.append(.paragraph(
                "Что сделать: сверить ИНН с документами контрагента и запросить выписку ЕГРЮЛ/ЕГРИП и учредительные документы; "
                    + "не заключать договор, пока компания не идентифицирована.", .lead))
        } else {
            let failed = sources.failures([.dadata, .casebook, .infosphere, .tavily, .perplexity])
            if !failed.isEmpty {
                blocks.append(.paragraph(
                    "Проверка неполная: оценка построена без части данных, отсутствие факторов по этим источникам не означает "
                        + "отсутствия рисков. " + sources.missing(failed) + ".", .note))
            }
        }
        let critical = risk.markers.filter { $0.severity == .critical }.map(\.title)
        if !critical.isEmpty {
            blocks.append(.paragraph("Критические факторы: " + critical.joined(separator: "; ") + ".", .lead))
        }
        return Section(id: "verdict", title: "Итоговая оценка", blocks: blocks)
    }

    static func card(_ company: CommonV1.CompanyCard?, sources: SourceIndex) -> Section {
        guard let company else {
            return Section(id: "company", title: "Карточка компании", blocks: [.missing(sources.missing(.dadata))])
        }
        func value(_ text: String) -> String { text.isEmpty ? RussianLabels.noData : text }
        func date(_ iso: String) -> String { iso.isEmpty ? RussianLabels.noData : RussianFormat.date(iso) }
        var fields = [
            Field(label: "Полное наименование", value: value(company.fullName)),
            Field(label: "Статус", value: RussianLabels.status(company.status), tone: company.status == .active ? .good : company.status == .unspecified ? .muted : .danger),
            Field(label: "Вид", value: RussianLabels.kind(company.kind)),
            Field(label: "Дата регистрации", value: date(company.registrationDate)),
        ]
        if !company.liquidationDate.isEmpty {
            fields.append(Field(label: "Дата ликвидации", value: date(company.liquidationDate), tone: .danger))
        }
        var address = company.address.map { value($0.value) } ?? RussianLabels.noData
        if company.address?.massRegistration == true { address += " (адрес массовой регистрации)" }
        fields.append(Field(label: "Адрес", value: address, tone: company.address?.massRegistration == true ? .warning : .neutral))
        let managers = company.managers.isEmpty ? [company.head].compactMap { $0 } : company.managers
        fields.append(Field(
            label: "Руководство",
            value: managers.isEmpty ? RussianLabels.noData : managers.map { manager in
                var line = [manager.post, manager.name].filter { !$0.isEmpty }.joined(separator: ": ")
                if !manager.inn.isEmpty { line += ", ИНН \(manager.inn)" }
                if !manager.startDate.isEmpty { line += ", с \(RussianFormat.date(manager.startDate))" }
                if manager.disqualified == true { line += " — дисквалифицирован" }
                return line
            }.joined(separator: "\n"),
            tone: managers.contains { $0.disqualified == true } ? .danger : .neutral))
        fields.append(Field(
            label: "Учредители",
            value: company.founders.isEmpty ? RussianLabels.noData : company.founders.map { founder in
                var line = founder.name
                let details = [
                    RussianLabels.founderKind(founder.kind), founder.inn.isEmpty ? "" : "ИНН \(founder.inn)",
                    founder.sharePercent.map { RussianFormat.decimal($0, places: $0.rounded() == $0 ? 0 : 2) + "\u{00A0}%" } ?? "",
                    founder.shareKopecks.map { RussianFormat.money(kopecks: $0) } ?? "",
                ].filter { !$0.isEmpty }
                if !details.isEmpty { line += " (" + details.joined(separator: ", ") + ")" }
                return line
            }.joined(separator: "\n")))
        let main = company.activities.first { $0.main } ?? company.activities.first
        fields.append(Field(label: "Основной вид деятельности", value: main.map { "\($0.code) \($0.name)" } ?? RussianLabels.noData))
        fields.append(Field(label: "Уставный капитал", value: company.capitalKopecks.map { RussianFormat.money(kopecks: $0) } ?? RussianLabels.noData))
        fields.append(Field(label: "Численность сотрудников", value: company.employeeCount.map { RussianFormat.integer(Int64($0)) } ?? RussianLabels.noData))
        if let finance = company.finances.first {
            var parts: [String] = []
            if let income = finance.incomeKopecks { parts.append("доходы " + RussianFormat.compactMoney(kopecks: income)) }
            if let expense = finance.expenseKopecks { parts.append("расходы " + RussianFormat.compactMoney(kopecks: expense)) }
            if let debt = finance.debtKopecks, debt > 0 { parts.append("недоимка " + RussianFormat.compactMoney(kopecks: debt)) }
            if let penalty = finance.penaltyKopecks, penalty > 0 { parts.append("штрафы " + RussianFormat.compactMoney(kopecks: penalty)) }
            if !finance.taxSystem.isEmpty { parts.append(finance.taxSystem) }
            fields.append(Field(label: "Финансы за \(finance.year) г.", value: parts.isEmpty ? RussianLabels.noData : parts.joined(separator: ", ")))
        }
        if !company.licenses.isEmpty {
            fields.append(Field(label: "Лицензии", value: RussianFormat.plural(company.licenses.count, "лицензия", "лицензии", "лицензий")))
        }
        if !company.actualityDate.isEmpty {
            fields.append(Field(label: "Сведения актуальны на", value: RussianFormat.date(company.actualityDate), tone: .muted))
        }
        return Section(id: "company", title: "Карточка компании", blocks: [.fields(fields)])
    }

    static func categories(_ risk: CommonV1.RiskAssessment?, sources: SourceIndex) -> Section {
        guard let risk, !risk.categories.isEmpty else {
            return Section(id: "categories", title: "Оценка по категориям", blocks: [.missing("нет данных: категории не оценивались")])
        }
        let bars = risk.categories.map { category in
            Bar(
                label: RussianLabels.category(category.category),
                value: category.hasData ? category.score : nil,
                caption: (category.hasData ? RussianFormat.decimal(category.score, places: 0) + (category.missingSources.isEmpty ? "" : " (неполно)") : "нет данных")
                    + " · вес " + RussianFormat.percent(fraction: category.weight),
                tone: category.hasData ? tone(score: category.score) : .muted)
        }
        // Why categories lack data, under the bars (a bar's caption has no room for it).
        var notes: [Block] = []
        let incomplete = risk.categories.filter { !$0.missingSources.isEmpty }.map { category in
            "\(RussianLabels.category(category.category)) — без ответа \(category.missingSources.map(RussianLabels.source).joined(separator: ", "))"
                + (category.hasData ? " (оценка по полученному)" : "")
        }
        if !sources.identified {
            notes.append(.missing("нет данных: компания не идентифицирована, категории не оценивались"))
        } else if !incomplete.isEmpty {
            notes.append(.missing("нет данных: " + incomplete.joined(separator: "; ")))
        }
        return Section(id: "categories", title: "Оценка по категориям", blocks: [.bars(bars)] + notes)
    }

    static func markers(_ risk: CommonV1.RiskAssessment?, sources: SourceIndex) -> Section {
        guard let risk else {
            return Section(id: "markers", title: "Факторы риска", blocks: [.missing("нет данных: оценка риска не выполнена")])
        }
        let failed = sources.failures([.dadata, .casebook, .infosphere, .tavily, .perplexity])
        guard !risk.markers.isEmpty else {
            let block: Block = if risk.level == .insufficientData {
                .missing("нет данных: факторы риска не оценивались — компания не идентифицирована")
            } else if !failed.isEmpty {
                .paragraph("По ответившим источникам факторы риска не выявлены; не проверено: "
                    + failed.map(RussianLabels.source).joined(separator: ", ") + ".", .note)
            } else {
                .paragraph("Факторы риска не выявлены.")
            }
            return Section(id: "markers", title: "Факторы риска", blocks: [block])
        }
        let ordered = risk.markers.enumerated().sorted { a, b in
            let (sa, sb) = (a.element.severity.protoNumber, b.element.severity.protoNumber)
            if sa != sb { return sa > sb }
            if a.element.contribution != b.element.contribution { return a.element.contribution > b.element.contribution }
            return a.offset < b.offset
        }.map(\.element)
        let rows = ordered.map { marker -> [Cell] in
            let evidence = marker.evidence.map { item in
                [RussianLabels.source(item.source), item.field, item.value].filter { !$0.isEmpty }.joined(separator: " · ")
            }.joined(separator: "\n")
            let firstDate = marker.evidence.lazy.map(\.date).first { !$0.isEmpty } ?? ""
            let firstLink = marker.evidence.lazy.map(\.url).first { !$0.isEmpty } ?? ""
            return [
                Cell(text: RussianLabels.severity(marker.severity), tone: tone(marker.severity), strong: marker.severity == .critical),
                Cell(text: marker.title, detail: [RussianLabels.category(marker.category), marker.description].filter { !$0.isEmpty }.joined(separator: ". "), strong: true),
                Cell(text: evidence.isEmpty ? "—" : evidence, link: firstLink),
                Cell(text: firstDate.isEmpty ? "—" : RussianFormat.date(firstDate)),
                Cell(text: "+" + RussianFormat.decimal(marker.contribution)),
            ]
        }
        let table = Table(
            columns: [
                Column(title: "Важность", width: 0.15), Column(title: "Фактор", width: 0.34),
                Column(title: "Доказательства", width: 0.30), Column(title: "Дата", width: 0.11),
                Column(title: "Вклад", width: 0.10, alignment: .trailing),
            ],
            rows: rows)
        return Section(id: "markers", title: "Факторы риска", blocks: [.table(table)])
    }

    static func courtCases(_ cases: [CommonV1.CourtCase], sources: SourceIndex, limit: Int) -> Section {
        let title = "Судебные дела"
        guard !cases.isEmpty else {
            let block = sources.incomplete([.casebook], found: false)
                ?? (sources.answered(.casebook) ? .paragraph("Арбитражные дела с участием компании не найдены.") : .missing(sources.missing(.casebook)))
            return Section(id: "court", title: title, blocks: [block])
        }
        let defendant = cases.filter { $0.role == .defendant }
        let claims = defendant.compactMap(\.claimKopecks).reduce(0, +)
        let active = cases.filter { $0.status == .active }.count
        var summary = "Всего \(RussianFormat.plural(cases.count, "дело", "дела", "дел")), в роли ответчика — \(RussianFormat.integer(Int64(defendant.count)))"
        if claims > 0 { summary += " на сумму \(RussianFormat.compactMoney(kopecks: claims))" }
        summary += "; рассматривается — \(RussianFormat.integer(Int64(active)))."
        let bankruptcy = cases.filter(\.bankruptcy)
        var blocks: [Block] = [.paragraph(summary, .lead)]
        if let incomplete = sources.incomplete([.casebook], found: true) { blocks.insert(incomplete, at: 0) }
        if !bankruptcy.isEmpty {
            blocks.append(.paragraph("Дела о банкротстве: " + bankruptcy.map(\.number).joined(separator: ", ") + ".", .lead))
        }
        if let timeline = timeline(cases) { blocks.append(.timeline(timeline)) }
        let ordered = cases.sorted { $0.date > $1.date }
        let shown = limit > 0 ? Array(ordered.prefix(limit)) : ordered
        let rows = shown.map { item -> [Cell] in
            [
                Cell(text: item.number.isEmpty ? "—" : item.number, detail: item.court, link: item.url, strong: item.bankruptcy),
                Cell(text: item.date.isEmpty ? "—" : RussianFormat.date(item.date)),
                Cell(text: RussianLabels.role(item.role), tone: item.role == .defendant ? .warning : .neutral),
                Cell(
                    text: item.category.isEmpty ? (item.bankruptcy ? "о банкротстве" : "—") : item.category,
                    detail: item.counterparties.isEmpty ? "" : "Стороны: " + item.counterparties.joined(separator: ", ")),
                Cell(text: item.claimKopecks.map { RussianFormat.money(kopecks: $0) } ?? "—"),
                Cell(text: RussianLabels.caseStatus(item.status), tone: item.status == .lost ? .danger : item.status == .active ? .caution : .neutral),
            ]
        }
        var footnote: String?
        if shown.count < ordered.count {
            let rest = ordered[shown.count...]
            let restClaims = rest.compactMap(\.claimKopecks).reduce(0, +)
            footnote = "Показаны \(shown.count) последних из \(ordered.count); ещё \(RussianFormat.plural(rest.count, "дело", "дела", "дел"))"
                + (restClaims > 0 ? " на сумму \(RussianFormat.compactMoney(kopecks: restClaims))" : "") + " не перечислены."
        }
        blocks.append(.table(Table(
            columns: [
                Column(title: "Дело, суд", width: 0.21), Column(title: "Дата", width: 0.11), Column(title: "Роль", width: 0.11),
                Column(title: "Категория спора", width: 0.25), Column(title: "Сумма иска", width: 0.15, alignment: .trailing),
                Column(title: "Статус", width: 0.17),
            ],
            rows: rows, footnote: footnote)))
        return Section(id: "court", title: title, blocks: blocks)
    }

    /// Cases per year by role, when the dates span something worth a chart.
    static func timeline(_ cases: [CommonV1.CourtCase]) -> Timeline? {
        let dated = cases.compactMap { item in RussianFormat.year(item.date).map { ($0, item.role) } }
        guard let first = dated.map(\.0).min(), let last = dated.map(\.0).max() else { return nil }
        let years = Array(max(first, last - 11)...last)
        func counts(_ roles: Set<CommonV1.CaseRole>) -> [Int] {
            years.map { year in dated.filter { $0.0 == year && roles.contains($0.1) }.count }
        }
        let series = [
            Timeline.Series(label: "Ответчик", tone: .warning, counts: counts([.defendant])),
            Timeline.Series(label: "Истец", tone: .good, counts: counts([.plaintiff])),
            Timeline.Series(label: "Иная роль", tone: .muted, counts: counts([.thirdParty, .other, .unspecified])),
        ].filter { $0.counts.contains { $0 > 0 } }
        return Timeline(years: years, series: series)
    }

    static func registryHits(_ hits: [CommonV1.RegistryHit], sources: SourceIndex) -> Section {
        let title = "Проверки по государственным реестрам"
        guard !hits.isEmpty else {
            let block = sources.incomplete([.infosphere], found: false)
                ?? (sources.answered(.infosphere) ? .paragraph("Записей в проверенных реестрах не найдено.") : .missing(sources.missing(.infosphere)))
            return Section(id: "registries", title: title, blocks: [block])
        }
        let serious: Set<CommonV1.RegistryKind> = [.sanctions, .bankruptcy, .disqualification]
        let rows = hits.map { hit -> [Cell] in
            [
                Cell(text: RussianLabels.registry(hit.kind), detail: hit.registry, tone: serious.contains(hit.kind) ? .danger : .warning, strong: serious.contains(hit.kind)),
                Cell(text: hit.title.isEmpty ? "—" : hit.title, detail: hit.detail, link: hit.url),
                Cell(text: hit.amountKopecks.map { RussianFormat.money(kopecks: $0) } ?? "—"),
                Cell(text: hit.date.isEmpty ? "—" : RussianFormat.date(hit.date)),
            ]
        }
        let table: Block = .table(Table(
            columns: [
                Column(title: "Реестр", width: 0.27), Column(title: "Сведения", width: 0.46),
                Column(title: "Сумма", width: 0.15, alignment: .trailing), Column(title: "Дата", width: 0.12),
            ],
            rows: rows))
        return Section(id: "registries", title: title, blocks: [sources.incomplete([.infosphere], found: true), table].compactMap { $0 })
    }

    static func webMentions(_ mentions: [CommonV1.WebMention], sources: SourceIndex) -> Section {
        let title = "Упоминания в интернете"
        let web: [CommonV1.Source] = [.tavily, .perplexity]
        guard !mentions.isEmpty else {
            let answered = web.filter(sources.answered)
            var blocks: [Block] = []
            if answered.isEmpty {
                blocks.append(.missing(sources.missing(web)))
            } else if let incomplete = sources.incomplete(web, found: false) {
                blocks.append(incomplete)
                if !answered.isEmpty, sources.identified {
                    blocks.append(.paragraph("Ответившие источники (\(answered.map(RussianLabels.source).joined(separator: ", "))) упоминаний не нашли.", .note))
                }
            } else {
                blocks.append(.paragraph("Упоминаний компании в интернете не найдено."))
            }
            return Section(id: "web", title: title, blocks: blocks)
        }
        let negative = mentions.filter { $0.sentiment == .negative }.count
        let positive = mentions.filter { $0.sentiment == .positive }.count
        let summary = "Найдено \(RussianFormat.plural(mentions.count, "упоминание", "упоминания", "упоминаний")): "
            + "негативных — \(negative), позитивных — \(positive), нейтральных — \(mentions.count - negative - positive)."
        let order: [CommonV1.Sentiment] = [.negative, .neutral, .positive, .unspecified]
        let ordered = mentions.enumerated().sorted { a, b in
            let (ra, rb) = (order.firstIndex(of: a.element.sentiment) ?? 4, order.firstIndex(of: b.element.sentiment) ?? 4)
            return ra != rb ? ra < rb : a.offset < b.offset
        }.map(\.element)
        let rows = ordered.map { mention -> [Cell] in
            [
                Cell(text: RussianLabels.sentiment(mention.sentiment), tone: mention.sentiment == .negative ? .danger : mention.sentiment == .positive ? .good : .neutral),
                Cell(text: mention.title.isEmpty ? mention.url : mention.title, detail: mention.snippet, strong: true),
                Cell(text: RussianLabels.source(mention.source) + " · " + RussianLabels.intent(mention.intent), detail: mention.url, link: mention.url),
                Cell(text: mention.publishedDate.isEmpty ? "—" : RussianFormat.date(mention.publishedDate)),
            ]
        }
        return Section(id: "web", title: title, blocks: [sources.incomplete(web, found: true)].compactMap { $0 } + [
            .paragraph(summary, .lead),
            .table(Table(
                columns: [
                    Column(title: "Тональность", width: 0.15), Column(title: "Публикация", width: 0.47),
                    Column(title: "Источник, ссылка", width: 0.26), Column(title: "Дата", width: 0.12),
                ],
                rows: rows)),
        ])
    }

    static func narrative(_ narrative: CommonV1.Narrative?) -> Section {
        guard let narrative, !narrative.summary.isEmpty || !narrative.recommendations.isEmpty else {
            return Section(id: "narrative", title: "Заключение", blocks: [.missing("нет данных: заключение не составлено")])
        }
        var blocks: [Block] = []
        let paragraphs = narrative.summary.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        blocks += paragraphs.isEmpty ? [.missing("нет данных: текст заключения пуст")] : paragraphs.map { .paragraph($0) }
        if !narrative.recommendations.isEmpty {
            blocks.append(.paragraph("Рекомендации", .lead))
            let ordered = narrative.recommendations.enumerated().sorted { a, b in
                let (pa, pb) = (a.element.priority.protoNumber, b.element.priority.protoNumber)
                return pa != pb ? pa > pb : a.offset < b.offset
            }.map(\.element)
            blocks.append(.list(ordered.map { item in
                ListItem(text: item.text, tone: tone(item.priority), label: RussianLabels.priority(item.priority))
            }))
        }
        let author = narrative.author == .llm
            ? "Текст составлен языковой моделью\(narrative.model.isEmpty ? "" : " \(narrative.model)") только по собранным фактам; оценку риска она не меняет."
            : "Текст составлен по шаблону из собранных фактов."
                + (narrative.fallbackReason.isEmpty ? "" : " Языковая модель не использована: \(narrative.fallbackReason).")
        blocks.append(.paragraph(author, .note))
        return Section(id: "narrative", title: "Заключение", blocks: blocks)
    }

    /// Feedback applied and differences from the parent report, for re-runs.
    static func changes(_ report: CommonV1.Report) -> Section? {
        guard !report.parentReportId.isEmpty || report.appliedFeedback != nil || report.diffFromParent != nil else { return nil }
        var blocks: [Block] = []
        if let feedback = report.appliedFeedback {
            var fields = [Field(label: "Оценка предыдущей версии", value: RussianLabels.rating(feedback.rating))]
            if !feedback.comment.isEmpty { fields.append(Field(label: "Комментарий", value: feedback.comment)) }
            if !feedback.focusAreas.isEmpty { fields.append(Field(label: "Проверить заново", value: feedback.focusAreas.map(RussianLabels.focusArea).joined(separator: ", "))) }
            if !feedback.issueTags.isEmpty { fields.append(Field(label: "Замечания", value: feedback.issueTags.map(RussianLabels.issueTag).joined(separator: ", "))) }
            if !feedback.refreshSources.isEmpty {
                fields.append(Field(label: "Обновлены источники", value: feedback.refreshSources.map(RussianLabels.source).joined(separator: ", ")))
            }
            blocks.append(.paragraph("Учтённая обратная связь", .lead))
            blocks.append(.fields(fields))
        }
        guard let diff = report.diffFromParent else {
            if !report.parentReportId.isEmpty {
                blocks.append(.missing("нет данных: сравнение с предыдущей версией не выполнено"))
            }
            return Section(id: "changes", title: "Изменения относительно предыдущей версии", blocks: blocks)
        }
        let delta = diff.scoreAfter - diff.scoreBefore
        let levelLine = diff.levelBefore == diff.levelAfter
            ? "уровень не изменился (\(RussianLabels.level(diff.levelAfter).lowercased()))"
            : "уровень: \(RussianLabels.level(diff.levelBefore).lowercased()) → \(RussianLabels.level(diff.levelAfter).lowercased())"
        blocks.append(.paragraph(
            "Балл: \(RussianFormat.decimal(diff.scoreBefore)) → \(RussianFormat.decimal(diff.scoreAfter)) "
                + "(\(delta >= 0 ? "+" : "")\(RussianFormat.decimal(delta))); \(levelLine).", .lead))
        if diff.changesCompared { blocks += companyChanges(diff.changes) }
        if !diff.markerChanges.isEmpty {
            blocks.append(.table(Table(
                columns: [
                    Column(title: "Изменение", width: 0.15), Column(title: "Фактор", width: 0.45),
                    Column(title: "Важность", width: 0.2), Column(title: "Вклад", width: 0.2, alignment: .trailing),
                ],
                rows: diff.markerChanges.map { change in
                    [
                        Cell(text: RussianLabels.change(change.kind), tone: change.kind == .added ? .warning : change.kind == .removed ? .good : .caution),
                        Cell(text: change.title.isEmpty ? change.code : change.title, detail: change.code),
                        Cell(text: change.kind == .changed && change.severityBefore != change.severityAfter
                            ? "\(RussianLabels.severity(change.severityBefore)) → \(RussianLabels.severity(change.severityAfter))"
                            : RussianLabels.severity(change.kind == .removed ? change.severityBefore : change.severityAfter)),
                        Cell(text: "\(RussianFormat.decimal(change.contributionBefore)) → \(RussianFormat.decimal(change.contributionAfter))"),
                    ]
                })))
        } else {
            blocks.append(.paragraph("Состав факторов риска не изменился."))
        }
        var items = diff.categoryDeltas.sorted { $0.key < $1.key }.filter { $0.value != 0 }.map { entry in
            ListItem(text: "Категория «\(RussianLabels.category(named: entry.key))»: \(entry.value > 0 ? "+" : "")\(RussianFormat.decimal(entry.value))")
        }
        items += diff.sourceChanges.map { ListItem(text: "Источник: \($0)") }
        if !items.isEmpty { blocks.append(.list(items)) }
        return Section(id: "changes", title: "Изменения относительно предыдущей версии", blocks: blocks)
    }

    /// What changed about the company (monitoring's events), most severe first, each with its evidence. The
    /// sources that did not answer on one side say what was not compared, so "no change" is never claimed for them.
    static func companyChanges(_ changes: [CommonV1.ChangeEvent]) -> [Block] {
        guard !changes.isEmpty else { return [.paragraph("Изменений в данных о компании не обнаружено.")] }
        return [
            .paragraph("Что изменилось в данных о компании", .lead),
            .table(Table(
                columns: [Column(title: "Важность", width: 0.18), Column(title: "Изменение", width: 0.82)],
                rows: changes.map { change in
                    let tone: Tone = switch change.severity {
                    case .critical: .danger
                    case .high: .warning
                    case .medium: .caution
                    default: change.kind == .source ? .caution : .muted
                    }
                    return [
                        Cell(text: change.kind == .source ? "не сравнивалось" : RussianLabels.severity(change.severity), tone: tone),
                        Cell(text: change.summary, detail: change.evidence.joined(separator: "; ")),
                    ]
                })),
        ]
    }

    static func sourceTable(_ statuses: [CommonV1.SourceStatus], utcOffsetMinutes: Int) -> Section {
        guard !statuses.isEmpty else {
            return Section(id: "sources", title: "Источники данных", blocks: [.missing("нет данных: сведения об опросе источников отсутствуют")])
        }
        let rows = statuses.map { status -> [Cell] in
            var state = RussianLabels.state(status.state)
            if status.state == .cached, status.cacheAgeMs > 0 { state += ", возраст \(RussianFormat.duration(milliseconds: status.cacheAgeMs))" }
            if status.state == .partial, status.queries > 0 { state += ": \(status.queriesAnswered) из \(status.queries) запросов" }
            let toneForState: Tone = switch status.state {
            case .ok, .cached: .good
            case .error, .timeout, .circuitOpen: .danger
            case .notFound, .partial: .caution
            default: .muted
            }
            let answered = [.ok, .cached, .notFound, .partial].contains(status.state)
            let asked = status.state.asked && status.state != .circuitOpen  // an open breaker asked nobody
            var time = RussianFormat.duration(milliseconds: status.durationMs)
            if status.queries > 1 {
                time += ", " + RussianFormat.plural(Int(status.queries), "запрос", "запроса", "запросов")
                if status.attempts > status.queries { time += ", " + RussianFormat.plural(Int(status.attempts), "попытка", "попытки", "попыток") }
            } else if status.attempts > 1 {
                time += ", " + RussianFormat.plural(Int(status.attempts), "попытка", "попытки", "попыток")
            }
            var details = status.reason
            if status.state == .circuitOpen, status.unavailableSinceMs > 0 {
                details = "с " + RussianFormat.timestamp(milliseconds: status.unavailableSinceMs, utcOffsetMinutes: utcOffsetMinutes)
                    + ": после сбоев при проверке разных компаний временно не опрашивается"
            }
            if status.fetchedAtMs > 0 {
                details += (details.isEmpty ? "" : "\n") + "получено " + RussianFormat.timestamp(milliseconds: status.fetchedAtMs, utcOffsetMinutes: utcOffsetMinutes)
            }
            return [
                Cell(text: RussianLabels.source(status.source), detail: RussianLabels.sourceSubject(status.source), strong: true),
                Cell(text: state, tone: toneForState),
                Cell(text: details.isEmpty ? "—" : details),
                Cell(text: asked ? time : "—"),
                // A source that failed has no count: its findings are unknown, not zero.
                Cell(text: answered ? RussianFormat.integer(Int64(status.items)) : "—"),
            ]
        }
        return Section(id: "sources", title: "Источники данных", blocks: [.table(Table(
            columns: [
                Column(title: "Источник", width: 0.17), Column(title: "Состояние", width: 0.25),
                Column(title: "Подробности", width: 0.30), Column(title: "Время", width: 0.17),
                Column(title: "Записей", width: 0.11, alignment: .trailing),
            ],
            rows: rows))])
    }

    static func citations(_ narrative: CommonV1.Narrative?) -> Section? {
        guard let citations = narrative?.citations, !citations.isEmpty else { return nil }
        let rows = citations.sorted { $0.number < $1.number }.map { citation -> [Cell] in
            [
                Cell(text: "[\(citation.number)]"),
                Cell(text: citation.title.isEmpty ? citation.url : citation.title, detail: citation.url, link: citation.url),
                Cell(text: RussianLabels.source(citation.source)),
            ]
        }
        return Section(id: "citations", title: "Ссылки", blocks: [.table(Table(
            columns: [Column(title: "№", width: 0.08), Column(title: "Документ", width: 0.72), Column(title: "Источник", width: 0.2)],
            rows: rows))])
    }
}
