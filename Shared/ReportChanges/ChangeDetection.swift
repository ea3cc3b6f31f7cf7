package import Contracts

/// The change events between two versions of a company's report, as monitoring reports them: the level, a
/// score move over the threshold, critical or high markers that appeared or were resolved, new court cases as
/// defendant (and bankruptcy cases), status changes, new registry records, a new head, founders who joined or
/// left. Each event carries its evidence.
///
/// A comparison is made only where the source behind it answered in full on both sides. Otherwise a SOURCE
/// event says what was not compared: cases missing because Casebook failed are not "resolved", and a marker
/// whose source did not answer is not "removed".
package enum ChangeDetection {
    /// Score moves up to this many points are noise, not an event (the level event covers crossings).
    package static let scoreThreshold = 10.0

    package static func events(from base: CommonV1.Report, to report: CommonV1.Report) -> [CommonV1.ChangeEvent] {
        let sides = Sides(base: base, report: report)
        var events = sourceEvents(sides) + riskEvents(base, report, sides)
        if sides.complete(.dadata) { events += registrationEvents(base.company ?? .init(), report.company ?? .init()) }
        if sides.complete(.casebook) { events += courtEvents(base.courtCases, report.courtCases) }
        if sides.complete(.infosphere) { events += registryEvents(base.registryHits, report.registryHits) }
        // Most severe first; the order of detection within a severity.
        return events.enumerated().sorted { ($0.element.severity.protoNumber, -$0.offset) > ($1.element.severity.protoNumber, -$1.offset) }.map(\.element)
    }

    /// The state of every source on both sides.
    struct Sides {
        let before: [CommonV1.Source: CommonV1.SourceStatus]
        let after: [CommonV1.Source: CommonV1.SourceStatus]

        init(base: CommonV1.Report, report: CommonV1.Report) {
            before = Dictionary(base.sources.map { ($0.source, $0) }, uniquingKeysWith: { first, _ in first })
            after = Dictionary(report.sources.map { ($0.source, $0) }, uniquingKeysWith: { first, _ in first })
        }

        static func isComplete(_ status: CommonV1.SourceStatus?) -> Bool { status?.state.answered == true }

        /// The source answered in full in both versions.
        func complete(_ source: CommonV1.Source) -> Bool { Self.isComplete(before[source]) && Self.isComplete(after[source]) }
    }

    /// What each registry-backed source would have been compared for.
    static let compared: [(CommonV1.Source, String)] = [
        (.dadata, "статус, руководитель и учредители"), (.casebook, "судебные дела"), (.infosphere, "записи в реестрах"),
    ]

    private static func sourceEvents(_ sides: Sides) -> [CommonV1.ChangeEvent] {
        compared.compactMap { source, what in
            let (before, after) = (sides.before[source], sides.after[source])
            guard !Sides.isComplete(before) || !Sides.isComplete(after) else { return nil }
            // A company no registry knows in either version: nothing to compare, and nothing to warn about.
            if before?.state == .notFound, after?.state == .notFound { return nil }
            let side = Sides.isComplete(before) ? "в новой версии" : Sides.isComplete(after) ? "в прежней версии" : "в обеих версиях"
            let status = Sides.isComplete(after) ? before : after
            return event(.source, .info, "\(RussianLabels.source(source)) \(side): \(stateText(status)) — \(what) не сравнивались",
                         evidence: [before, after].map { "\(RussianLabels.source(source)): \(stateText($0))" })
        }
    }

    private static func riskEvents(_ base: CommonV1.Report, _ report: CommonV1.Report, _ sides: Sides) -> [CommonV1.ChangeEvent] {
        let (before, after) = (base.risk ?? .init(), report.risk ?? .init())
        var events: [CommonV1.ChangeEvent] = []
        if before.level != after.level {
            // From "insufficient data" nothing rose: there was no level to rise from.
            let rose = rank(before.level) > 0 && rank(after.level) > rank(before.level)
            events.append(event(.level, rank(after.level) > rank(before.level) ? severity(of: after.level) : .info,
                                "Уровень риска \(rose ? "повысился" : "изменился"): \(levelName(before.level)) → \(levelName(after.level))",
                                evidence: ["оценка \(points(before.score)) → \(points(after.score))"]))
        }
        let delta = after.score - before.score
        if abs(delta) > scoreThreshold {
            events.append(event(.score, delta > 0 ? .medium : .info,
                                "Оценка риска \(delta > 0 ? "выросла" : "снизилась"): \(points(before.score)) → \(points(after.score)) (\(delta > 0 ? "+" : "−")\(points(abs(delta))))"))
        }
        let old = Dictionary(before.markers.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        let new = Dictionary(after.markers.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        let serious: (CommonV1.Marker) -> Bool = { $0.severity == .critical || $0.severity == .high }
        for marker in after.markers where serious(marker) && old[marker.code] == nil {
            events.append(event(.markerAdded, marker.severity, "Новый фактор риска: \(marker.title)", evidence: marker.evidence.map(evidenceText)))
        }
        for marker in before.markers where serious(marker) && new[marker.code] == nil {
            // Gone only if every source it rested on answered in full this time; otherwise it is unknown.
            let sources = Set(marker.evidence.map(\.source))
            guard sources.allSatisfy({ Sides.isComplete(sides.after[$0]) }) else { continue }
            events.append(event(.markerResolved, .info, "Фактор риска снят: \(marker.title)", evidence: marker.evidence.map(evidenceText)))
        }
        return events
    }

    private static func registrationEvents(_ before: CommonV1.CompanyCard, _ after: CommonV1.CompanyCard) -> [CommonV1.ChangeEvent] {
        var events: [CommonV1.ChangeEvent] = []
        if before.status != after.status, after.status != .unspecified {
            let severity: CommonV1.Severity = switch after.status {
            case .liquidated, .bankrupt: .critical
            case .liquidating, .reorganizing: .high
            default: .info
            }
            var evidence = ["ЕГРЮЛ: \(statusName(before.status)) → \(statusName(after.status))"]
            if !after.liquidationDate.isEmpty { evidence.append("дата ликвидации \(after.liquidationDate)") }
            events.append(event(.status, severity, "Статус в ЕГРЮЛ: \(statusName(before.status)) → \(statusName(after.status))", evidence: evidence))
        }
        let (oldHead, newHead) = (before.head?.name ?? "", after.head?.name ?? "")
        if !newHead.isEmpty, oldHead != newHead {
            let post = after.head?.post.lowercased() ?? ""
            events.append(event(.management, .medium, "Сменился руководитель: \(oldHead.isEmpty ? "не указан" : oldHead) → \(newHead)",
                                evidence: ["ЕГРЮЛ\(post.isEmpty ? "" : ", \(post)"): \(newHead)"]))
        }
        let (oldFounders, newFounders) = (Set(before.founders.map(\.name)), Set(after.founders.map(\.name)))
        if oldFounders != newFounders {
            let joined = newFounders.subtracting(oldFounders).sorted(), left = oldFounders.subtracting(newFounders).sorted()
            var parts: [String] = []
            if !joined.isEmpty { parts.append("вошли: \(joined.joined(separator: ", "))") }
            if !left.isEmpty { parts.append("вышли: \(left.joined(separator: ", "))") }
            events.append(event(.founders, .medium, "Состав учредителей изменился — \(parts.joined(separator: "; "))",
                                evidence: joined.map { "ЕГРЮЛ: учредитель \($0)" } + left.map { "ЕГРЮЛ: больше не учредитель \($0)" }))
        }
        return events
    }

    /// Cases that were not there before, with the company as defendant, and bankruptcy cases in any role.
    private static func courtEvents(_ before: [CommonV1.CourtCase], _ after: [CommonV1.CourtCase]) -> [CommonV1.ChangeEvent] {
        let known = Set(before.map(\.number))
        return after.filter { !known.contains($0.number) && ($0.role == .defendant || $0.bankruptcy) }.map { item in
            let claim = item.claimKopecks.map { ", иск \(roubles($0))" } ?? ""
            let evidence = ["\(item.number), \(item.court), \(item.date)\(item.category.isEmpty ? "" : ": \(item.category)")"] + (item.url.isEmpty ? [] : [item.url])
            if item.bankruptcy {
                return event(.courtCase, .critical, "Новое дело о банкротстве: \(item.number) (\(item.court))", evidence: evidence)
            }
            let large = (item.claimKopecks ?? 0) >= 10_000_000_00
            return event(.courtCase, large ? .high : .medium, "Новое дело, компания — ответчик: \(item.number) (\(item.court))\(claim)", evidence: evidence)
        }
    }

    private static func registryEvents(_ before: [CommonV1.RegistryHit], _ after: [CommonV1.RegistryHit]) -> [CommonV1.ChangeEvent] {
        let key = { (hit: CommonV1.RegistryHit) in "\(hit.kind.protoNumber)|\(hit.title)|\(hit.date)" }
        let known = Set(before.map(key))
        return after.filter { !known.contains(key($0)) }.map { hit in
            let severity: CommonV1.Severity = switch hit.kind {
            case .sanctions, .bankruptcy: .critical
            case .disqualification: .high
            case .enforcement, .taxDebt, .unfairSupplier, .cbrWarning: .medium
            default: .low
            }
            let amount = hit.amountKopecks.map { ", \(roubles($0))" } ?? ""
            return event(.registryHit, severity, "Новая запись в реестре (\(hit.registry)): \(hit.title)\(amount)",
                         evidence: ["\(hit.registry)\(hit.date.isEmpty ? "" : ", \(hit.date)"): \(hit.detail.isEmpty ? hit.title : hit.detail)"] + (hit.url.isEmpty ? [] : [hit.url]))
        }
    }

    // MARK: Words

    private static func event(_ kind: CommonV1.ChangeEvent.Kind, _ severity: CommonV1.Severity, _ summary: String, evidence: [String] = []) -> CommonV1.ChangeEvent {
        .with {
            $0.kind = kind
            $0.severity = severity
            $0.summary = summary
            $0.evidence = evidence
        }
    }

    /// A source's state as the source table words it, with its reason: "ошибка (HTTP 503)".
    static func stateText(_ status: CommonV1.SourceStatus?) -> String {
        guard let status else { return RussianLabels.state(.unspecified).lowercased() }
        return RussianLabels.state(status.state).lowercased() + (status.reason.isEmpty ? "" : " (\(status.reason))")
    }

    private static func levelName(_ level: CommonV1.RiskLevel) -> String { RussianLabels.level(level).lowercased() }

    private static func statusName(_ status: CommonV1.CompanyStatus) -> String { RussianLabels.status(status).lowercased() }

    /// Order of levels for "rose"; insufficient data is below every level, as it claims none.
    private static func rank(_ level: CommonV1.RiskLevel) -> Int {
        switch level {
        case .low: 1
        case .medium: 2
        case .high: 3
        case .critical: 4
        default: 0
        }
    }

    private static func severity(of level: CommonV1.RiskLevel) -> CommonV1.Severity {
        switch level {
        case .critical: .critical
        case .high: .high
        case .medium: .medium
        default: .low
        }
    }

    private static func evidenceText(_ evidence: CommonV1.Evidence) -> String {
        "\(RussianLabels.source(evidence.source)), \(evidence.field): \(evidence.value)"
    }

    /// A score as the reports write it: one decimal, with a comma, none when whole (58,8; 12).
    static func points(_ score: Double) -> String {
        let tenths = Int((score * 10).rounded())
        return tenths % 10 == 0 ? String(tenths / 10) : "\(tenths / 10),\(abs(tenths % 10))"
    }

    /// Kopecks as whole roubles with digit groups: 1 200 000 ₽.
    static func roubles(_ kopecks: Int64) -> String {
        let digits = String(kopecks / 100)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append("\u{00A0}") }
            grouped.append(digit)
        }
        return grouped + "\u{00A0}₽"
    }
}
