package import Contracts

/// The deterministic Russian narrative: what the company is, the verdict, the markers that drove it with
/// numbered citations of their evidence, what could not be checked, and recommendations by priority.
package enum TemplateNarrative {
    package static func write(inn: String, findings: Findings, risk: CommonV1.RiskAssessment, fallbackReason: String = "") -> CommonV1.Narrative {
        var citations: [CommonV1.Citation] = []
        func cite(_ evidence: CommonV1.Evidence) -> String {
            guard !evidence.url.isEmpty else { return "" }
            if let existing = citations.first(where: { $0.url == evidence.url }) { return " [\(existing.number)]" }
            let number = Int32(citations.count + 1)
            citations.append(.with {
                $0.number = number
                $0.title = [evidence.field, evidence.value].filter { !$0.isEmpty }.joined(separator: ": ")
                $0.url = evidence.url
                $0.source = evidence.source
            })
            return " [\(number)]"
        }
        var paragraphs: [String] = []
        if let company = findings.company {
            var line = "\(company.shortName.isEmpty ? company.fullName : company.shortName) (ИНН \(company.inn))"
            if !company.registrationDate.isEmpty { line += " зарегистрирована \(date(company.registrationDate))" }
            line += ", статус в реестре — \(status(company.status))."
            if let head = company.head, !head.name.isEmpty { line += " Руководитель — \(head.name)." }
            paragraphs.append(line)
        } else {
            paragraphs.append("Реестры не вернули сведений о компании с ИНН \(inn).")
        }
        switch risk.level {
        case .insufficientData:
            paragraphs.append("Уровень риска не определён: без данных реестров оценка была бы недостоверной.")
        default:
            var verdict = "Итоговая оценка — \(level(risk.level)) (\(number(risk.score)) из 100, достоверность \(Int((risk.confidence * 100).rounded())) %)."
            if let unfloored = risk.unflooredLevel, unfloored != risk.level {
                verdict += " Уровень повышен критическими факторами; без них он был бы «\(level(unfloored))»."
            }
            paragraphs.append(verdict)
        }
        let top = risk.markers.prefix(5)
        if top.isEmpty {
            if risk.level != .insufficientData { paragraphs.append("Проверенные источники не выявили факторов риска.") }
        } else {
            paragraphs.append("Основные факторы: " + top.map { marker in
                let facts = marker.evidence.prefix(2).map { evidence in (evidence.value.isEmpty ? evidence.field : evidence.value) + cite(evidence) }
                return marker.title.lowercased() + (facts.isEmpty ? "" : " (" + facts.joined(separator: "; ") + ")")
            }.joined(separator: "; ") + ".")
        }
        let failed = findings.sources.filter { [.error, .timeout, .circuitOpen, .notConfigured].contains($0.state) }
        if !failed.isEmpty {
            paragraphs.append("Не удалось проверить: " + failed.map { "\(sourceName($0.source)) (\($0.reason.isEmpty ? "нет ответа" : $0.reason))" }
                .joined(separator: ", ") + ". Выводы по этим источникам отсутствуют.")
        }
        return .with {
            $0.author = .template
            $0.summary = paragraphs.joined(separator: "\n")
            $0.recommendations = recommendations(risk)
            $0.citations = citations
            $0.fallbackReason = fallbackReason
        }
    }

    /// Recommendations follow the level and the categories of the markers.
    static func recommendations(_ risk: CommonV1.RiskAssessment) -> [CommonV1.Recommendation] {
        var out: [CommonV1.Recommendation] = []
        func add(_ text: String, _ priority: CommonV1.Severity, _ codes: [String]) {
            out.append(.with {
                $0.text = text
                $0.priority = priority
                $0.markerCodes = codes
            })
        }
        let codes = Set(risk.markers.map(\.code))
        let critical = risk.markers.filter { $0.severity == .critical }.map(\.code)
        switch risk.level {
        case .critical: add("Не заключать договор без решения службы безопасности; при действующих договорах — прекратить предоплату.", .critical, critical)
        case .high: add("Заключать договор только с обеспечением: банковская гарантия, аккредитив или оплата по факту поставки.", .high, risk.markers.map(\.code))
        case .medium: add("Ограничить объём и срок обязательств, запросить у контрагента пояснения по выявленным факторам.", .medium, risk.markers.map(\.code))
        case .low: add("Стандартная проверка пройдена: можно работать на обычных условиях.", .low, [])
        default: add("Запросить у контрагента выписку ЕГРЮЛ и учредительные документы, повторить проверку позже.", .medium, [])
        }
        let legal = risk.markers.filter { $0.category == .legal }.map(\.code)
        if !legal.isEmpty { add("Изучить карточки судебных дел и оценить вероятность взыскания.", .medium, legal) }
        if codes.contains("financial.tax_debt") || codes.contains("financial.enforcement") {
            add("Проверить погашение налоговой задолженности и исполнительных производств перед оплатой.", .high,
                risk.markers.filter { $0.category == .financial }.map(\.code))
        }
        if codes.contains("registration.mass_address") || codes.contains("registration.mass_director") {
            add("Убедиться в фактическом присутствии компании по адресу и полномочиях руководителя.", .medium,
                ["registration.mass_address", "registration.mass_director"].filter(codes.contains))
        }
        if risk.confidence < 0.7, risk.level != .insufficientData {
            add("Повторить проверку, когда станут доступны все источники: часть данных не получена.", .low, [])
        }
        return out
    }

    static func date(_ iso: String) -> String {
        let parts = iso.prefix(10).split(separator: "-")
        return parts.count == 3 ? "\(parts[2]).\(parts[1]).\(parts[0])" : iso
    }

    static func number(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10),\(tenths % 10)"
    }

    static func status(_ status: CommonV1.CompanyStatus) -> String {
        switch status {
        case .active: "действующая"
        case .liquidating: "в процессе ликвидации"
        case .liquidated: "ликвидирована"
        case .bankrupt: "банкротство"
        case .reorganizing: "в процессе реорганизации"
        default: "не указан"
        }
    }

    static func level(_ level: CommonV1.RiskLevel) -> String {
        switch level {
        case .low: "низкий риск"
        case .medium: "средний риск"
        case .high: "высокий риск"
        case .critical: "критический риск"
        default: "уровень не определён"
        }
    }

    static func sourceName(_ source: CommonV1.Source) -> String {
        switch source {
        case .dadata: "DaData"
        case .casebook: "Casebook"
        case .infosphere: "InfoSphere"
        case .tavily: "Tavily"
        case .perplexity: "Perplexity"
        default: "источник"
        }
    }
}
