internal import Foundation
package import Contracts

/// Extra web-search queries written by the LLM from what the registries said, when an LLM is configured and the
/// request allows it. They only add to the template intents; anything malformed is dropped, so a bad answer
/// costs nothing but the call.
package struct LLMIntentWriter: Sendable {
    package let caller: ProviderCaller
    package let apiKey: String
    package let model: String
    /// Queries taken at most.
    package let limit: Int

    package init(caller: ProviderCaller, apiKey: String, model: String, limit: Int = 4) {
        self.caller = caller
        self.apiKey = apiKey
        self.model = model
        self.limit = limit
    }

    static let instructions = """
        Ты помогаешь проверять контрагентов. По сведениям о компании предложи до 4 дополнительных поисковых запросов \
        на русском, которые помогут найти риски (суды, долги, связи, санкции, жалобы). Каждый запрос должен называть \
        компанию. Ответь JSON-объектом: {"queries": ["…", "…"]}.
        """

    /// Custom intents, or none when the LLM fails or answers badly.
    package func intents(inn: String, name: String, card: CommonV1.CompanyCard?, notes: String) async -> [SearchIntents.Intent] {
        var facts = ["Компания: \(name), ИНН \(inn)"]
        if let card {
            facts.append("Статус: \(card.status.protoName), регистрация \(card.registrationDate), адрес: \(card.address?.value ?? "")")
            if let head = card.head { facts.append("Руководитель: \(head.name)") }
            facts += card.founders.prefix(5).map { "Учредитель: \($0.name)" }
        }
        if !notes.isEmpty { facts.append("Заметки клиента: \(notes)") }
        let body: [String: Any] = [
            "model": model, "temperature": 0.3, "max_tokens": 300, "response_format": ["type": "json_object"],
            "messages": [["role": "system", "content": Self.instructions], ["role": "user", "content": facts.joined(separator: "\n")]],
        ]
        guard let (answer, _) = try? await caller.postJSON("/chat/completions", bearer: apiKey, body) else { return [] }
        return Self.parse(answer.body, name: name, inn: inn, limit: limit)
    }

    /// Valid queries only: 5–200 characters, no links, naming the company (its name or INN is added if not).
    static func parse(_ body: [UInt8], name: String, inn: String, limit: Int) -> [SearchIntents.Intent] {
        struct Completion: Decodable {
            struct Choice: Decodable { struct Message: Decodable { var content: String? }; var message: Message }
            var choices: [Choice]
        }
        struct Content: Decodable { var queries: [String] }
        guard let completion = try? JSONDecoder().decode(Completion.self, from: Data(body)), let text = completion.choices.first?.message.content,
            let content = try? JSONDecoder().decode(Content.self, from: Data(text.utf8))
        else { return [] }
        return content.queries.compactMap { raw -> SearchIntents.Intent? in
            let query = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (5...200).contains(query.count), !query.contains("http"), !query.contains("\n") else { return nil }
            let named = query.contains(inn) || (!name.isEmpty && query.lowercased().contains(name.lowercased()))
            return SearchIntents.Intent(kind: .custom, query: named ? query : "\(name.isEmpty ? "ИНН \(inn)" : name) \(query)")
        }.prefix(limit).map { $0 }
    }
}
