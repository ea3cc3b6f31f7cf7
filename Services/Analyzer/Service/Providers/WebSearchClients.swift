internal import Foundation
package import Contracts

/// Tavily web search: results become mentions with a sentiment judged from their text.
package struct TavilyClient: Sendable {
    package let caller: ProviderCaller
    package let apiKey: String

    package init(caller: ProviderCaller, apiKey: String) {
        self.caller = caller
        self.apiKey = apiKey
    }

    package func search(_ query: String, intent: CommonV1.SearchIntent, maxResults: Int = 5, depth: String = "basic")
        async throws(ProviderFailure) -> (mentions: [CommonV1.WebMention], answer: String, attempts: Int)
    {
        let body: [String: Any] = [
            "query": query, "search_depth": depth, "max_results": maxResults, "topic": intent == .news ? "news" : "general", "include_answer": false,
        ]
        let (answer, attempts) = try await caller.postJSON("/search", bearer: apiKey, body)
        let response: Wire.Response
        do {
            response = try JSONDecoder().decode(Wire.Response.self, from: Data(answer.body))
        } catch {
            throw .malformed("Tavily: \(error)")
        }
        let mentions = response.results.map { result in
            CommonV1.WebMention.with {
                $0.source = .tavily
                $0.intent = intent
                $0.query = query
                $0.title = result.title ?? ""
                $0.url = result.url ?? ""
                $0.snippet = result.content ?? ""
                $0.publishedDate = String((result.published_date ?? "").prefix(10))
                $0.sentiment = Sentiment.of(($0.title) + " " + ($0.snippet))
                $0.relevance = result.score
            }
        }
        return (mentions, response.answer ?? "", attempts)
    }

    enum Wire {
        struct Response: Decodable {
            var results: [Result]
            var answer: String?
        }
        struct Result: Decodable { var title: String?, url: String?, content: String?, score: Double?, published_date: String? }
    }
}

/// Perplexity: chat completions (OpenAI-shaped, with `citations` and `search_results`) or the newer agent API
/// (`/v1/agent`, Responses-shaped: `output_text` and `search_results`), chosen by configuration. The sources it
/// cites become mentions, and its answer is kept for the narrative.
package struct PerplexityClient: Sendable {
    package enum API: String, Sendable, CaseIterable { case chat, agent }

    package let caller: ProviderCaller
    package let apiKey: String
    package let model: String
    package let api: API

    package init(caller: ProviderCaller, apiKey: String, model: String = "sonar", api: API = .chat) {
        self.caller = caller
        self.apiKey = apiKey
        self.model = model
        self.api = api
    }

    static let instructions = "Отвечай кратко, по-русски, только фактами из источников, со ссылками."

    package func ask(_ question: String, intent: CommonV1.SearchIntent, recency: String = "")
        async throws(ProviderFailure) -> (mentions: [CommonV1.WebMention], answer: String, attempts: Int)
    {
        switch api {
        case .chat: try await chat(question, intent: intent, recency: recency)
        case .agent: try await agent(question, intent: intent)
        }
    }

    private func agent(_ question: String, intent: CommonV1.SearchIntent)
        async throws(ProviderFailure) -> (mentions: [CommonV1.WebMention], answer: String, attempts: Int)
    {
        let body: [String: Any] = ["model": model, "input": question, "instructions": Self.instructions, "tools": [["type": "web_search"]]]
        let (answer, attempts) = try await caller.postJSON("/v1/agent", bearer: apiKey, body)
        struct Response: Decodable {
            var output_text: String?
            var search_results: [Wire.SearchResult]?
        }
        guard let response = try? JSONDecoder().decode(Response.self, from: Data(answer.body)), let text = response.output_text else {
            throw .malformed("Perplexity agent: no output_text")
        }
        return (Self.mentions(response.search_results ?? [], question: question, intent: intent), text, attempts)
    }

    private func chat(_ question: String, intent: CommonV1.SearchIntent, recency: String)
        async throws(ProviderFailure) -> (mentions: [CommonV1.WebMention], answer: String, attempts: Int)
    {
        var body: [String: Any] = [
            "model": model, "temperature": 0.1, "max_tokens": 800,
            "messages": [
                ["role": "system", "content": Self.instructions],
                ["role": "user", "content": question],
            ],
        ]
        if !recency.isEmpty { body["search_recency_filter"] = recency }
        let (answer, attempts) = try await caller.postJSON("/chat/completions", bearer: apiKey, body)
        let response: Wire.Response
        do {
            response = try JSONDecoder().decode(Wire.Response.self, from: Data(answer.body))
        } catch {
            throw .malformed("Perplexity: \(error)")
        }
        guard let text = response.choices.first?.message.content else { throw .malformed("Perplexity: no choices") }
        var results = response.search_results ?? []
        if results.isEmpty { results = (response.citations ?? []).map { Wire.SearchResult(title: nil, url: $0, date: nil, snippet: nil) } }
        return (Self.mentions(results, question: question, intent: intent), text, attempts)
    }

    static func mentions(_ results: [Wire.SearchResult], question: String, intent: CommonV1.SearchIntent) -> [CommonV1.WebMention] {
        results.map { result in
            CommonV1.WebMention.with {
                $0.source = .perplexity
                $0.intent = intent
                $0.query = question
                $0.title = result.title ?? result.url ?? ""
                $0.url = result.url ?? ""
                $0.snippet = result.snippet ?? ""
                $0.publishedDate = String((result.date ?? "").prefix(10))
                $0.sentiment = Sentiment.of($0.title + " " + $0.snippet)
            }
        }
    }

    enum Wire {
        struct Response: Decodable {
            var choices: [Choice]
            var citations: [String]?
            var search_results: [SearchResult]?
        }
        struct Choice: Decodable { var message: Message }
        struct Message: Decodable { var content: String? }
        struct SearchResult: Decodable { var title: String?, url: String?, date: String?, snippet: String? }
    }
}

/// The tone of a text towards the company, from word stems: deterministic, explainable and good enough to
/// flag what a reader should look at; an LLM may refine it later, never the score.
package enum Sentiment {
    static let negative = [
        "банкрот", "несостоятельн", "иск", "суд", "долг", "задолж", "мошенн", "уголовн", "обыск", "арест", "штраф", "претенз", "жалоб",
        "ликвидац", "санкци", "наблюдени", "срыв", "сорван", "недобросовест", "нарушени", "убыт", "просроч", "fraud", "lawsuit", "bankrupt",
    ]
    static let positive = ["открыл", "расширя", "рост", "награ", "лидер", "инвестиц", "победил", "выиграл", "развити", "рекорд", "надёжн", "award", "growth"]

    package static func of(_ text: String) -> CommonV1.Sentiment {
        let lower = text.lowercased()
        let bad = negative.filter { lower.contains($0) }.count
        let good = positive.filter { lower.contains($0) }.count
        return bad > good ? .negative : good > bad ? .positive : .neutral
    }
}
