package import Contracts

/// What the web search looks for: one query per standard intent (legal, court, finance, news, reputation,
/// affiliates, sanctions) from templates, plus custom intents from the client's notes, extra intents and
/// feedback focus areas. Queries name the company and its INN so results are about it.
package enum SearchIntents {
    package struct Intent: Sendable, Equatable {
        package var kind: CommonV1.SearchIntent
        package var query: String
    }

    static let templates: [(CommonV1.SearchIntent, String)] = [
        (.legal, "претензии нарушения проверки"),
        (.court, "арбитражный суд иск банкротство"),
        (.finance, "выручка долги финансовое положение"),
        (.news, "новости"),
        (.reputation, "отзывы клиентов и сотрудников"),
        (.affiliates, "учредители связанные компании"),
        (.sanctions, "санкции реестр недобросовестных поставщиков"),
    ]

    /// Feedback focus areas that map to a standard intent.
    static let focusAreas: [String: CommonV1.SearchIntent] = [
        "legal": .legal, "court": .court, "finance": .finance, "news": .news, "reputation": .reputation, "affiliates": .affiliates,
        "sanctions": .sanctions,
    ]

    package static func plan(inn: String, name: String, notes: String, feedback: CommonV1.Feedback?, extra: [String]) -> [Intent] {
        let subject = name.isEmpty ? "ИНН \(inn)" : "\(name) ИНН \(inn)"
        var intents = templates.map { Intent(kind: $0.0, query: "\(subject) \($0.1)") }
        // Feedback asks to look again at an area: a second, sharper query for it.
        for area in feedback?.focusAreas ?? [] {
            if let kind = focusAreas[area.lowercased()] {
                intents.append(Intent(kind: kind, query: "\(subject) \(templates.first { $0.0 == kind }?.1 ?? "") последние события"))
            } else {
                intents.append(Intent(kind: .custom, query: "\(subject) \(area)"))
            }
        }
        let custom = extra + [notes, feedback?.comment ?? ""].filter { !$0.isEmpty }
        for text in custom {
            intents.append(Intent(kind: .custom, query: "\(subject) \(String(text.prefix(200)))"))
        }
        var seen = Set<String>()
        return intents.filter { seen.insert($0.query).inserted }
    }

    /// The one question Perplexity gets: an overview covering the standard intents, plus the custom ones.
    static func question(inn: String, name: String, intents: [Intent]) -> Intent {
        let subject = name.isEmpty ? "с ИНН \(inn)" : "\(name) (ИНН \(inn))"
        var question = "Что известно о компании \(subject): суды, долги, банкротство, санкции, репутация, новости?"
        let custom = intents.filter { $0.kind == .custom }.map(\.query)
        if !custom.isEmpty { question += " Также: " + custom.joined(separator: "; ") }
        return Intent(kind: .reputation, query: question)
    }

    /// A cache key for a query: its intent and a 64-bit FNV-1a hash of the text.
    static func key(_ intent: Intent) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in intent.query.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return intent.kind.protoName.lowercased() + ":" + String(hash, radix: 16)
    }
}
