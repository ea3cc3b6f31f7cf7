internal import Foundation
internal import Hummingbird

/// Milliseconds since the epoch of an ISO date, as DaData sends dates.
func epochMilliseconds(_ iso: String) -> Int64? {
    let parts = iso.split(separator: "-").compactMap { Int($0) }
    guard parts.count == 3 else { return nil }
    var components = DateComponents()
    (components.year, components.month, components.day) = (parts[0], parts[1], parts[2])
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    return calendar.date(from: components).map { Int64($0.timeIntervalSince1970 * 1000) }
}

func jsonText(_ object: Any) -> String {
    String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8), as: UTF8.self)
}

/// DaData `findById/party`: `{"suggestions": [{"value", "unrestricted_value", "data": {…}}]}`.
enum DaDataWire {
    static func response(for query: String, in catalogue: SandboxCatalogue) -> (HTTPResponse.Status, String, String) {
        guard let company = catalogue.company(innOrOGRN: query) else {
            return (.ok, "application/json", jsonText(["suggestions": []]))
        }
        var data: [String: Any] = [
            "inn": company.inn, "kpp": company.kpp, "ogrn": company.ogrn, "ogrn_date": epochMilliseconds(company.registered) as Any,
            "type": "LEGAL",
            "name": ["full_with_opf": company.fullName, "short_with_opf": company.shortName, "full": company.name, "short": company.name],
            "opf": ["code": company.legalForm == "АО" ? "12200" : "12300", "short": company.legalForm],
            "state": [
                "status": company.status, "registration_date": epochMilliseconds(company.registered) as Any,
                "liquidation_date": company.liquidated.flatMap(epochMilliseconds) as Any? ?? NSNull(),
                "actuality_date": epochMilliseconds("2026-11-19") as Any,
            ],
            "management": ["name": company.head, "post": "ГЕНЕРАЛЬНЫЙ ДИРЕКТОР", "disqualified": company.headDisqualified ? true as Any : NSNull()],
            "founders": company.founders.map { founder -> [String: Any] in
                ["name": founder.name, "inn": founder.inn as Any? ?? NSNull(), "type": "PHYSICAL", "share": ["type": "PERCENT", "value": founder.share]]
            },
            "okved": company.okved.0,
            "okveds": [["main": true, "code": company.okved.0, "name": company.okved.1]],
            "capital": ["type": "УСТАВНЫЙ КАПИТАЛ", "value": company.capitalRoubles],
            "address": ["value": company.address, "data": ["region": company.region, "city": company.city]],
            "employee_count": company.employees as Any? ?? NSNull(),
        ]
        if let finance = company.finance {
            data["finance"] = [
                "tax_system": NSNull(), "year": finance.year, "income": finance.income, "expense": finance.expense, "debt": finance.debt,
                "penalty": finance.penalty,
            ]
        }
        let suggestion: [String: Any] = ["value": company.shortName, "unrestricted_value": company.fullName, "data": data]
        return (.ok, "application/json", jsonText(["suggestions": [suggestion]]))
    }
}

/// Casebook `GET /arbitrage/cases?sideInn=&page=&size=`: `{"items": [...], "total": N, "pages": P}`.
enum CasebookWire {
    static func cases(inn: String, page: Int, size: Int, in catalogue: SandboxCatalogue) -> (HTTPResponse.Status, String, String) {
        let all = catalogue.company(inn: inn)?.cases ?? []
        let size = max(1, min(size, 100))
        let pages = (all.count + size - 1) / size
        let items = all.dropFirst((max(page, 1) - 1) * size).prefix(size).map { item -> [String: Any] in
            [
                "caseNumber": item.number, "court": item.court, "registrationDate": item.date, "category": item.category,
                "role": item.role, "claimSum": item.claim as Any? ?? NSNull(), "status": item.status,
                "url": "https://kad.arbitr.ru/Card/" + item.number.unicodeScalars.map { String($0.value, radix: 16) }.joined().prefix(32),
                "isBankruptcy": item.bankruptcy, "sides": [["name": item.other]],
            ]
        }
        return (.ok, "application/json", jsonText(["items": Array(items), "total": all.count, "pages": pages, "page": page]))
    }
}

/// InfoSphere `POST /2.00/`: an XML `<Response>` with a `<Source>` per registry and records of fields.
enum InfoSphereWire {
    static let sources = ["fns", "fssp", "bankrot", "terrorist", "cbr", "rnp", "disqualified"]

    static func element(_ name: String, in xml: String) -> String? {
        guard let start = xml.range(of: "<\(name)>"), let end = xml.range(of: "</\(name)>", range: start.upperBound..<xml.endIndex) else { return nil }
        return String(xml[start.upperBound..<end.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// The answer for an INN; the first `failingRegistries` registries report an error of their own.
    static func response(inn: String, failingRegistries: Int = 0, in catalogue: SandboxCatalogue) -> (HTTPResponse.Status, String, String) {
        let records = catalogue.company(inn: inn)?.registry ?? [:]
        var xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Response id=\"sandbox\" status=\"1\" datetime=\"2026-11-20T12:00:00\">\n"
        for (index, source) in sources.enumerated() {
            if index < failingRegistries {
                xml += "<Source code=\"\(source)\" checktype=\"inn\"><Error>Источник временно недоступен</Error></Source>\n"
                continue
            }
            let found = records[source] ?? []
            xml += "<Source code=\"\(source)\" checktype=\"inn\"><ResultsCount>\(found.count)</ResultsCount>"
            for record in found {
                xml += "<Record>" + record.sorted { $0.key < $1.key }.map {
                    "<Field><FieldName>\($0.key)</FieldName><FieldValue>\(escape($0.value))</FieldValue></Field>"
                }.joined() + "</Record>"
            }
            xml += "</Source>\n"
        }
        return (.ok, "application/xml", xml + "</Response>\n")
    }

    static func authError() -> (HTTPResponse.Status, String, String) {
        (.ok, "application/xml", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Response status=\"0\"><Error>Неверный логин или пароль</Error></Response>\n")
    }
}

/// Tavily search, Perplexity chat completions and the OpenAI-compatible LLM.
enum WebWire {
    static func tavily(query: String, maxResults: Int, in catalogue: SandboxCatalogue) -> (HTTPResponse.Status, String, String) {
        let results = (catalogue.company(in: query)?.mentions ?? []).prefix(max(1, maxResults)).enumerated().map { index, mention -> [String: Any] in
            ["title": mention.title, "url": mention.url, "content": mention.content, "score": 0.9 - Double(index) * 0.1, "published_date": mention.date]
        }
        return (.ok, "application/json", jsonText(["query": query, "answer": NSNull(), "results": Array(results), "response_time": 0.42]))
    }

    static func systemMessage(_ body: [UInt8]) -> String {
        let object = (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:]
        let messages = object["messages"] as? [[String: Any]] ?? []
        return messages.first { $0["role"] as? String == "system" }?["content"] as? String ?? ""
    }

    static func lastUserMessage(_ body: [UInt8]) -> String {
        let object = (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:]
        let messages = object["messages"] as? [[String: Any]] ?? []
        return messages.last { $0["role"] as? String == "user" }?["content"] as? String ?? ""
    }

    static func completion(_ content: String, extra: [String: Any] = [:]) -> String {
        var object: [String: Any] = [
            "id": "sandbox-1", "object": "chat.completion", "model": "sandbox",
            "choices": [["index": 0, "message": ["role": "assistant", "content": content], "finish_reason": "stop"]],
            "usage": ["prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150],
        ]
        object.merge(extra) { _, new in new }
        return jsonText(object)
    }

    static func perplexity(question: String, in catalogue: SandboxCatalogue) -> (HTTPResponse.Status, String, String) {
        guard let company = catalogue.company(in: question), !company.mentions.isEmpty else {
            return (.ok, "application/json", completion("Сведений о компании в открытых источниках не найдено.", extra: ["citations": [], "search_results": []]))
        }
        let answer = company.mentions.enumerated().map { "\($0.element.content) [\($0.offset + 1)]" }.joined(separator: " ")
        return (.ok, "application/json", completion(answer, extra: [
            "citations": company.mentions.map(\.url),
            "search_results": company.mentions.map { ["title": $0.title, "url": $0.url, "date": $0.date, "snippet": $0.content] },
        ]))
    }

    /// The agent API's Responses-shaped answer: `output_text` and `search_results`.
    static func perplexityAgent(question: String, in catalogue: SandboxCatalogue) -> (HTTPResponse.Status, String, String) {
        let mentions = catalogue.company(in: question)?.mentions ?? []
        let text = mentions.isEmpty ? "Сведений о компании в открытых источниках не найдено."
            : mentions.enumerated().map { "\($0.element.content) [\($0.offset + 1)]" }.joined(separator: " ")
        return (.ok, "application/json", jsonText([
            "id": "sandbox-agent-1", "model": "sandbox", "output_text": text,
            "search_results": mentions.map { ["title": $0.title, "url": $0.url, "date": $0.date, "snippet": $0.content] },
        ]))
    }

    /// A narrative in the JSON shape the analyzer asks for, made from the facts in the prompt: the company, the
    /// factor lines ("Фактор: …; доказательства: …") and the numbered sources, as a careful model would write it.
    static func llm(prompt: String, system: String = "", in catalogue: SandboxCatalogue) -> (HTTPResponse.Status, String, String) {
        let name = catalogue.company(in: prompt).map(\.shortName) ?? "Компания"
        if system.contains("поисковых запросов") {
            let queries = ["\(name) претензии поставщиков", "\(name) руководитель другие компании", "https://not-a-query.example"]
            return (.ok, "application/json", completion(jsonText(["queries": queries])))
        }
        let factors = prompt.split(separator: "\n").filter { $0.hasPrefix("Фактор: ") }
            .map { $0.dropFirst("Фактор: ".count).split(separator: ";").first.map(String.init) ?? "" }
        let cited = prompt.contains("\n[1] ") ? " [1]" : ""
        let summary = factors.isEmpty
            ? "\(name): по данным реестров, судов и открытых источников факторов риска не выявлено\(cited)."
            : "\(name): выявлены факторы риска — \(factors.prefix(4).joined(separator: ", ").lowercased())\(cited). "
                + "Перед заключением договора их следует учесть и запросить у контрагента пояснения."
        let priority = factors.count >= 3 ? "high" : factors.isEmpty ? "low" : "medium"
        let narrative: [String: Any] = [
            "summary": summary,
            "recommendations": [["text": factors.isEmpty ? "Работать на обычных условиях." : "Запросить пояснения и обеспечение по выявленным факторам.", "priority": priority]],
        ]
        return (.ok, "application/json", completion(jsonText(narrative)))
    }

}
