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
        let dadata = findings.sources.first { $0.source == .dadata }
        if let company = findings.company {
            var line = "\(company.shortName.isEmpty ? company.fullName : company.shortName) (ИНН \(company.inn))"
            if !company.registrationDate.isEmpty { line += " зарегистрирована \(date(company.registrationDate))" }
            line += ", статус в реестре — \(status(company.status))."
            if let head = company.head, !head.name.isEmpty { line += " Руководитель — \(head.name)." }
            paragraphs.append(line)
        } else if !findings.identified {
            paragraphs.append(unidentified(inn: inn, dadata: dadata))
        } else {
            paragraphs.append("Карточка компании с ИНН \(inn) не получена; компания известна по записям InfoSphere.")
        }
        switch risk.level {
        case .insufficientData:
            paragraphs.append("Уровень риска не определён, достоверность оценки — 0 %: пока компания не идентифицирована, "
                + "отсутствие судебных дел, записей в реестрах и упоминаний ничего о ней не говорит.")
        default:
            var verdict = "Итоговая оценка — \(level(risk.level)) (\(number(risk.score)) из 100, достоверность \(Int((risk.confidence * 100).rounded())) %)."
            if let unfloored = risk.unflooredLevel, unfloored != risk.level {
                verdict += " Уровень повышен критическими факторами; без них он был бы «\(level(unfloored))»."
            }
            paragraphs.append(verdict)
        }
        let missing = findings.incompleteSources
        let top = risk.markers.prefix(5)
        if top.isEmpty {
            if risk.level != .insufficientData {
                paragraphs.append(missing.isEmpty
                    ? "Проверенные источники не выявили факторов риска."
                    : "Ответившие источники не выявили факторов риска; по источникам без ответа (см. ниже) проверка не выполнена.")
            }
        } else {
            paragraphs.append("Основные факторы: " + top.map { marker in
                let facts = marker.evidence.prefix(2).map { evidence in (evidence.value.isEmpty ? evidence.field : evidence.value) + cite(evidence) }
                return marker.title.lowercased() + (facts.isEmpty ? "" : " (" + facts.joined(separator: "; ") + ")")
            }.joined(separator: "; ") + ".")
        }
        let unchecked = findings.sources.filter { $0.state.incomplete || $0.state == .notConfigured }
        if !unchecked.isEmpty {
            paragraphs.append("Не удалось проверить полностью: " + unchecked.map { "\(sourceName($0.source)) (\(said($0)))" }
                .joined(separator: ", ") + ". Выводов по недополученным данным нет: их отсутствие не означает отсутствия рисков.")
        }
        return .with {
            $0.author = .template
            $0.summary = paragraphs.joined(separator: "\n")
            $0.recommendations = recommendations(risk, findings: findings)
            $0.citations = citations
            $0.fallbackReason = fallbackReason
        }
    }

    /// The first paragraph for a subject no registry knows: why (DaData said "not found", or could not be
    /// asked), and that nothing below describes a real company.
    static func unidentified(inn: String, dadata: CommonV1.SourceStatus?) -> String {
        let why = switch dadata?.state {
        case .notFound?: "ЕГРЮЛ/ЕГРИП (через DaData) не знают такого ИНН"
        case .error?, .timeout?, .circuitOpen?: "реестр (DaData) не ответил — \(dadata?.reason ?? "нет ответа")"
        case .notConfigured?: "реестр (DaData) не настроен"
        case .disabled?: "реестр (DaData) не запрашивался"
        default: "реестры не вернули сведений"
        }
        return "Компанию с ИНН \(inn) не удалось идентифицировать: \(why)."
    }

    /// "нет ответа после 3 попыток" or "ответил на 3 из 9 запросов; …": the status's reason.
    static func said(_ status: CommonV1.SourceStatus) -> String { status.reason.isEmpty ? "нет ответа" : status.reason }

    /// Recommendations follow the level and the categories of the markers; for an unidentified subject, how
    /// to identify it first; with sources missing, a low level is qualified rather than called a pass.
    static func recommendations(_ risk: CommonV1.RiskAssessment, findings: Findings) -> [CommonV1.Recommendation] {
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
        let missing = findings.incompleteSources.map { sourceName($0.source) }
        switch risk.level {
        case .critical: add("Не заключать договор без решения службы безопасности; при действующих договорах — прекратить предоплату.", .critical, critical)
        case .high: add("Заключать договор только с обеспечением: банковская гарантия, аккредитив или оплата по факту поставки.", .high, risk.markers.map(\.code))
        case .medium: add("Ограничить объём и срок обязательств, запросить у контрагента пояснения по выявленным факторам.", .medium, risk.markers.map(\.code))
        case .low where missing.isEmpty: add("Стандартная проверка пройдена: можно работать на обычных условиях.", .low, [])
        case .low:
            add("Проверка неполная (нет данных: \(missing.joined(separator: ", "))): до повторной проверки не считать контрагента проверенным.",
                .medium, [])
        default:
            add("Сверить ИНН с документами контрагента: опечатка в ИНН — частая причина.", .high, [])
            add("Запросить у контрагента выписку ЕГРЮЛ/ЕГРИП и учредительные документы.", .high, [])
            add("Не заключать договор, пока компания не идентифицирована.", .high, [])
            let dadata = findings.sources.first { $0.source == .dadata }?.state
            if let dadata, [.error, .timeout, .circuitOpen].contains(dadata) {
                add("Повторить проверку, когда реестр (DaData) станет доступен.", .medium, [])
            }
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
        if risk.level != .insufficientData, !missing.isEmpty || risk.confidence < 0.7 {
            add("Повторить проверку, когда станут доступны все источники: часть данных не получена"
                + (missing.isEmpty ? "." : " (\(missing.joined(separator: ", "))).") , .low, [])
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
