internal import Foundation
package import Contracts

/// The narrative written by an OpenAI-compatible LLM from the collected facts only. The model gets the facts
/// (never the raw provider answers) and must answer with JSON {summary, recommendations}; anything else —
/// unparsable, empty, too long, citing a source that does not exist — falls back to the template with the
/// reason. The model never sees or sets the score: the assessment is final before it is asked.
package struct LLMNarrator: Sendable {
    package let caller: ProviderCaller
    package let apiKey: String
    package let model: String

    package init(caller: ProviderCaller, apiKey: String, model: String) {
        self.caller = caller
        self.apiKey = apiKey
        self.model = model
    }

    package func write(inn: String, findings: Findings, risk: CommonV1.RiskAssessment, feedbackComment: String = "") async -> CommonV1.Narrative {
        let template = TemplateNarrative.write(inn: inn, findings: findings, risk: risk)
        // Nothing is known about an unidentified subject: there is nothing for a model to write that the
        // template does not say, and a fluent text could only claim more.
        guard risk.level != .insufficientData else {
            return Self.fallback(template, "компания не идентифицирована: заключение составлено по шаблону")
        }
        let body: [String: Any] = [
            "model": model, "temperature": 0.2, "max_tokens": 1200,
            "response_format": ["type": "json_object"],
            "messages": [
                ["role": "system", "content": Self.instructions],
                ["role": "user", "content": Self.facts(inn: inn, findings: findings, risk: risk, citations: template.citations, comment: feedbackComment)],
            ],
        ]
        let answer: HTTPAnswer
        do {
            answer = try await caller.postJSON("/chat/completions", bearer: apiKey, body).answer
        } catch {
            return Self.fallback(template, "LLM недоступна: \(error)")
        }
        switch Self.parse(answer.body, citationCount: template.citations.count) {
        case .success(let written):
            let (summary, recommendations) = Self.qualified(written, template: template, findings: findings)
            return .with {
                $0.author = .llm
                $0.model = model
                $0.summary = summary
                $0.recommendations = recommendations
                $0.citations = template.citations
            }
        case .failure(let reason):
            return Self.fallback(template, "ответ LLM отклонён: \(reason.text)")
        }
    }

    /// The model's text, with the template's "could not check" paragraph appended when it does not name
    /// every source that failed or answered partly; and with sources missing, the template's recommendations,
    /// which qualify the verdict by rule: a fluent "work on normal terms" must not follow an incomplete check.
    static func qualified(_ written: Written, template: CommonV1.Narrative, findings: Findings) -> (String, [CommonV1.Recommendation]) {
        let missing = findings.incompleteSources
        guard !missing.isEmpty else { return (written.summary, written.recommendations) }
        var summary = written.summary
        if !missing.allSatisfy({ written.summary.contains(TemplateNarrative.sourceName($0.source)) }),
           let paragraph = template.summary.split(separator: "\n").last(where: { $0.hasPrefix("Не удалось проверить") }) {
            summary += "\n" + paragraph
        }
        return (summary, template.recommendations)
    }

    private static func fallback(_ template: CommonV1.Narrative, _ reason: String) -> CommonV1.Narrative {
        var narrative = template
        narrative.fallbackReason = reason
        return narrative
    }

    static let instructions = """
        Ты аналитик по проверке контрагентов. Напиши по-русски краткое заключение (3–6 предложений) и рекомендации \
        ТОЛЬКО по приведённым фактам, ничего не добавляя. Если источник не дал данных или ответил частично, прямо \
        назови его и скажи, что проверить по нему не удалось; не пиши, что рисков нет, о том, что не проверено. Ссылайся на источники их номерами в квадратных скобках, \
        например [1], и только на номера из списка. Не называй свой балл или уровень риска: они уже рассчитаны. \
        Ответь JSON-объектом: {"summary": "…", "recommendations": [{"text": "…", "priority": "low|medium|high|critical"}]}.
        """

    /// The facts as the model sees them: the card, the assessment, the markers with evidence, the sources' states.
    static func facts(inn: String, findings: Findings, risk: CommonV1.RiskAssessment, citations: [CommonV1.Citation], comment: String) -> String {
        var lines = ["ИНН: \(inn)"]
        if let company = findings.company {
            lines.append("Компания: \(company.shortName), статус \(company.status.protoName), зарегистрирована \(company.registrationDate)")
        }
        lines.append("Оценка (рассчитана, не менять): \(risk.level.protoName), \(risk.score) из 100")
        for marker in risk.markers {
            lines.append("Фактор: \(marker.title); доказательства: " + marker.evidence.map { "\($0.field) = \($0.value)" }.joined(separator: "; "))
        }
        for status in findings.sources where status.state != .ok && status.state != .cached {
            let name = TemplateNarrative.sourceName(status.source)
            switch status.state {
            case .partial: lines.append("Источник \(name) ответил частично: \(status.reason)")
            case .notFound: lines.append("Источник \(name): сведений о компании нет")
            default: lines.append("Источник \(name) не дал данных: \(status.reason)")
            }
        }
        lines += citations.map { "[\($0.number)] \($0.title) \($0.url)" }
        if !comment.isEmpty { lines.append("Замечание пользователя к прошлой версии: \(comment)") }
        return lines.joined(separator: "\n")
    }

    struct Written {
        var summary: String
        var recommendations: [CommonV1.Recommendation]
    }

    struct Rejection: Error { var text: String }

    /// Validates the model's answer; the reason says what was wrong.
    static func parse(_ body: [UInt8], citationCount: Int) -> Result<Written, Rejection> {
        struct Completion: Decodable {
            struct Choice: Decodable { struct Message: Decodable { var content: String? }; var message: Message }
            var choices: [Choice]
        }
        struct Content: Decodable {
            struct Item: Decodable { var text: String; var priority: String? }
            var summary: String
            var recommendations: [Item]?
        }
        guard let completion = try? JSONDecoder().decode(Completion.self, from: Data(body)), let text = completion.choices.first?.message.content else {
            return .failure(Rejection(text: "не ответ chat completions"))
        }
        guard let content = try? JSONDecoder().decode(Content.self, from: Data(text.utf8)) else {
            return .failure(Rejection(text: "не JSON с полями summary и recommendations"))
        }
        let summary = content.summary.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !summary.isEmpty, summary.count <= 4000 else { return .failure(Rejection(text: "пустое или слишком длинное заключение")) }
        let cited = Self.citationNumbers(summary)
        if let wrong = cited.first(where: { $0 < 1 || $0 > citationCount }) {
            return .failure(Rejection(text: "ссылка [\(wrong)] на несуществующий источник"))
        }
        let priorities: [String: CommonV1.Severity] = ["low": .low, "medium": .medium, "high": .high, "critical": .critical]
        let recommendations = (content.recommendations ?? []).prefix(10).compactMap { item -> CommonV1.Recommendation? in
            let text = item.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty, text.count <= 500 else { return nil }
            return .with {
                $0.text = text
                $0.priority = priorities[item.priority?.lowercased() ?? ""] ?? .medium
            }
        }
        return .success(Written(summary: summary, recommendations: recommendations))
    }

    /// The numbers inside "[n]" marks.
    static func citationNumbers(_ text: String) -> [Int] {
        var numbers: [Int] = [], current: String?
        for character in text {
            if character == "[" { current = "" } else if character == "]" {
                if let digits = current, let number = Int(digits) { numbers.append(number) }
                current = nil
            } else if current != nil {
                if character.isNumber { current?.append(character) } else { current = nil }
            }
        }
        return numbers
    }
}
