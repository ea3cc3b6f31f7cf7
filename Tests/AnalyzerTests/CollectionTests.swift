@testable import Analyzer
import AsyncHTTPClient
import Contracts
import NIOCore
import NIOHTTP1
import ProviderSandbox
import Testing

/// Collection through the real clients against the sandbox, then scoring: what each kind of company ends up as.
@Suite("Collection and scoring against the sandbox")
struct CollectionTests {
    static func clients(_ base: String, timeout: Duration = .seconds(5), attempts: Int = 2) -> ProviderClients {
        func make(_ source: CommonV1.Source, _ path: String) -> ProviderCaller {
            caller(source, base: base, path: path, attempts: attempts, timeout: timeout)
        }
        return ProviderClients(
            dadata: DaDataClient(caller: make(.dadata, "/dadata"), apiKey: "key"),
            casebook: CasebookClient(caller: make(.casebook, "/casebook"), apiKey: "key", pageSize: 25),
            infosphere: InfoSphereClient(caller: make(.infosphere, "/infosphere"), login: "user", password: "secret"),
            tavily: TavilyClient(caller: make(.tavily, "/tavily"), apiKey: "tvly-key"),
            perplexity: PerplexityClient(caller: make(.perplexity, "/perplexity"), apiKey: "pplx-key"))
    }

    static func request(_ inn: String) -> CommonV1.AnalysisRequest { .with { $0.inn = inn } }

    static let expectations: [(kind: String, inn: String, level: CommonV1.RiskLevel, markers: Set<String>)] = [
        ("clean", "7705123452", .low, []),
        ("liquidated", "7816345676", .critical, ["registration.liquidated"]),
        ("bankrupt", "5402987650", .critical, ["registration.bankrupt", "legal.bankruptcy_case", "financial.tax_debt"]),
        ("many lawsuits", "7728456786", .medium, ["legal.defendant_cases", "legal.large_claims", "legal.lost_cases"]),
        ("sanctions", "1650123403", .critical, ["regulatory.sanctions"]),
        ("disqualified director", "6670112230", .high, ["regulatory.disqualified_director"]),
        ("registered last month", "6315445565", .low, ["registration.recently_registered"]),
        ("mass address", "2634778891", .low, ["registration.mass_address", "registration.mass_director"]),
        ("not found", "3900123459", .insufficientData, []),
    ]

    @Test("each sandbox company collects and scores to its level and key markers", arguments: expectations.map(\.kind))
    func table(kind: String) async throws {
        let expected = try #require(Self.expectations.first { $0.kind == kind })
        try await withSandbox { base in
            let collected = await Collector(clients: Self.clients(base), cache: InMemoryProviderCache()).collect(Self.request(expected.inn), asOf: "2026-11-20")
            let risk = RiskScorer().assess(collected.findings)
            #expect(risk.level == expected.level, "score \(risk.score), markers \(risk.markers.map(\.code))")
            #expect(expected.markers.isSubset(of: Set(risk.markers.map(\.code))), "\(risk.markers.map(\.code))")
            #expect(collected.findings.sources.map(\.source) == [.dadata, .casebook, .infosphere, .tavily, .perplexity])
            if expected.level != .insufficientData {
                #expect(collected.findings.sources.allSatisfy { $0.state == .ok }, "\(collected.findings.sources.map { ($0.source, $0.state, $0.reason) })")
                #expect(risk.confidence == 1)
            } else {
                #expect(collected.findings.sources[0].state == .notFound)
            }
        }
    }

    @Test("partial data: failed sources say why, their categories have no data, confidence drops")
    func partial() async throws {
        try await withSandbox(SandboxBehaviour(timeoutSeconds: 2)) { base in
            let collected = await Collector(clients: Self.clients(base, timeout: .milliseconds(1500), attempts: 1), cache: InMemoryProviderCache())
                .collect(Self.request("5026112237"), asOf: "2026-11-20")
            let byState = Dictionary(uniqueKeysWithValues: collected.findings.sources.map { ($0.source, $0) })
            #expect(byState[.casebook]?.state == .error)
            #expect(byState[.casebook]?.reason == "HTTP 503")
            #expect(byState[.tavily]?.state == .timeout)
            #expect(byState[.dadata]?.state == .ok)
            #expect(collected.findings.courtCases.isEmpty)
            let risk = RiskScorer().assess(collected.findings)
            #expect(risk.categories.first { $0.category == .legal }?.hasData == false)
            #expect(risk.confidence < 0.8)
        }
    }

    @Test("successful answers are cached and reused; a refresh asks again; failures are never cached")
    func cache() async throws {
        let behaviour = SandboxBehaviour(timeoutSeconds: 2)
        try await withSandbox(behaviour) { base in
            let cache = InMemoryProviderCache()
            let collector = Collector(clients: Self.clients(base), cache: cache)
            _ = await collector.collect(Self.request("5402987650"), asOf: "2026-11-20")
            let asked = behaviour.requestCounts
            let second = await collector.collect(Self.request("5402987650"), asOf: "2026-11-20")
            #expect(behaviour.requestCounts == asked)  // nothing asked again
            #expect(second.findings.sources.allSatisfy { $0.state == .cached })
            #expect(second.findings.courtCases.count == 15)
            let refreshed = await collector.collect(
                .with { $0.inn = "5402987650"; $0.options = .with { $0.refreshSources = [.casebook] } }, asOf: "2026-11-20")
            #expect(refreshed.findings.sources.first { $0.source == .casebook }?.state == .ok)
            #expect(refreshed.findings.sources.first { $0.source == .dadata }?.state == .cached)

            // The partial-data company: Casebook answers 503, Tavily answers only after the 2 s the sandbox holds it
            // (the 1.5 s timeout leaves room for a slow 503 on a busy machine).
            _ = await Collector(clients: Self.clients(base, timeout: .milliseconds(1500), attempts: 1), cache: cache)
                .collect(Self.request("5026112237"), asOf: "2026-11-20")
            #expect(!cache.keys.contains("casebook:5026112237"))  // the 503 was not cached
            #expect(cache.keys.contains("dadata:5026112237"))
        }
    }

    @Test("a web search that answered some queries and failed the rest is partial, with the counts, and not clean")
    func partialWebSearch() async throws {
        try await withSandbox(SandboxBehaviour(faults: [.tavily: .failingSubjects(3)])) { base in
            let collected = await Collector(clients: Self.clients(base, attempts: 1), cache: InMemoryProviderCache())
                .collect(Self.request("7705123452"), asOf: "2026-11-20")
            let tavily = try #require(collected.findings.sources.first { $0.source == .tavily })
            #expect(tavily.state == .partial)
            #expect(tavily.queries >= 7 && tavily.queriesAnswered == tavily.queries - 3)
            #expect(tavily.reason.hasPrefix("ответил на \(tavily.queries - 3) из \(tavily.queries) запросов"))
            let risk = RiskScorer().assess(collected.findings)
            let reputation = risk.categories.first { $0.category == .reputation }
            #expect(reputation?.hasData == false && reputation?.missingSources == [.tavily])
            #expect(risk.confidence < 1)
            let narrative = TemplateNarrative.write(inn: "7705123452", findings: collected.findings, risk: risk)
            #expect(narrative.summary.contains("Не удалось проверить полностью: Tavily (ответил на"))
            #expect(!narrative.summary.contains("Проверенные источники не выявили факторов риска"))
            #expect(!narrative.recommendations.contains { $0.text.contains("обычных условиях") })
        }
    }

    @Test("registries that answered with an error of their own make InfoSphere partial, named, uncached and not clean")
    func partialRegistries() async throws {
        try await withSandbox(SandboxBehaviour(faults: [.infosphere: .registryErrors(2)])) { base in
            let cache = InMemoryProviderCache()
            let collected = await Collector(clients: Self.clients(base, attempts: 1), cache: cache)
                .collect(Self.request("7705123452"), asOf: "2026-11-20")
            let infosphere = try #require(collected.findings.sources.first { $0.source == .infosphere })
            #expect(infosphere.state == .partial)
            #expect(infosphere.queries == 7 && infosphere.queriesAnswered == 5)
            #expect(infosphere.reason == "ответили 5 из 7 реестров; не ответили: fns, fssp")
            #expect(!cache.keys.contains("infosphere:7705123452"))
            let risk = RiskScorer().assess(collected.findings)
            #expect(risk.confidence < 1)
            let narrative = TemplateNarrative.write(inn: "7705123452", findings: collected.findings, risk: risk)
            #expect(narrative.summary.contains("Не удалось проверить полностью: InfoSphere (ответили 5 из 7 реестров"))
            #expect(!narrative.summary.contains("Проверенные источники не выявили факторов риска"))
            #expect(!narrative.recommendations.contains { $0.text.contains("обычных условиях") })
        }
    }

    @Test("the sandbox's registry-errors fault still checks InfoSphere's credentials")
    func registryErrorsNeedCredentials() async throws {
        try await withSandbox(SandboxBehaviour(faults: [.infosphere: .registryErrors(2)])) { base in
            var request = HTTPClientRequest(url: base + "/infosphere/2.00")
            request.method = .POST
            request.body = .bytes(ByteBuffer(string: "<Request><UserID></UserID><inn>7705123452</inn></Request>"))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
            #expect(body.contains("<Error>Неверный логин или пароль</Error>") && !body.contains("fns"))
        }
    }

    @Test("the web search has a time budget: what has not answered by then is cut off and said so")
    func webBudget() async throws {
        try await withSandbox(SandboxBehaviour(faults: [.tavily: .timeout, .perplexity: .timeout], timeoutSeconds: 5)) { base in
            let collector = Collector(clients: Self.clients(base, timeout: .seconds(4), attempts: 1), cache: InMemoryProviderCache(), webBudget: .milliseconds(300))
            let collected = await collector.collect(Self.request("7705123452"), asOf: "2026-11-20")
            // Cut off by the budget, not ended by the clients' own 4 s timeouts (whose reason is "нет ответа").
            let web = collected.findings.sources.filter { $0.source == .tavily || $0.source == .perplexity }
            #expect(web.map(\.state) == [.timeout, .timeout])
            #expect(web.allSatisfy { $0.reason.contains("веб-поиск не уложился") })
            #expect(collected.findings.sources[0].state == .ok)  // the registries are not affected
        }
    }

    @Test("sources not configured, not asked or with web search off are reported as such")
    func notConfigured() async throws {
        try await withSandbox { base in
            var clients = Self.clients(base)
            clients.infosphere = nil
            let collected = await Collector(clients: clients, cache: InMemoryProviderCache()).collect(
                .with {
                    $0.inn = "7705123452"
                    $0.options = .with { $0.sources = [.dadata, .infosphere]; $0.webSearch = false }
                }, asOf: "2026-11-20")
            let states = collected.findings.sources.map(\.state)
            #expect(states == [.ok, .disabled, .notConfigured, .disabled, .disabled])
        }
    }

    @Test("search intents: the seven standard ones, feedback focus and notes as custom intents, no duplicates")
    func intents() {
        let intents = SearchIntents.plan(
            inn: "7705123452", name: "ООО \"СЕВЕРНЫЙ ВЕТЕР\"", notes: "поставки в Казахстан",
            feedback: .with { $0.focusAreas = ["court", "лизинг"]; $0.comment = "" }, extra: ["поставки в Казахстан"])
        #expect(intents.filter { $0.kind != .custom }.count == 8)  // seven plus a sharper court query
        #expect(intents.filter { $0.kind == .custom }.map(\.query) == [
            "ООО \"СЕВЕРНЫЙ ВЕТЕР\" ИНН 7705123452 лизинг", "ООО \"СЕВЕРНЫЙ ВЕТЕР\" ИНН 7705123452 поставки в Казахстан",
        ])
        #expect(intents.allSatisfy { $0.query.contains("7705123452") })
    }
}

@Suite("LLM search intents")
struct IntentWriterTests {
    @Test("the LLM's extra queries join the template intents; links and malformed answers are dropped")
    func llmIntents() async throws {
        let behaviour = SandboxBehaviour()
        try await withSandbox(behaviour) { base in
            var settings = ProviderSettings(baseURL: base + "/llm")
            settings.attempts = 1
            let writer = LLMIntentWriter(caller: ProviderCaller(source: .llm, settings: settings, transport: AsyncHTTPTransport()), apiKey: "k", model: "m")
            let collector = Collector(clients: CollectionTests.clients(base), cache: InMemoryProviderCache(), intentWriter: writer)
            _ = await collector.collect(CollectionTests.request("7728456786"), asOf: "2026-11-20")
            // Seven template searches and the LLM's two valid queries (its link was dropped).
            #expect(behaviour.requestCounts[.llm] == 1)
            #expect(behaviour.requestCounts[.tavily] == 9)
        }
        #expect(LLMIntentWriter.parse(Array("not json".utf8), name: "ООО Х", inn: "7705123452", limit: 4).isEmpty)
        let completion = #"{"choices":[{"message":{"content":"{\"queries\":[\"суды\",\"ООО Х долги перед банками\"]}"}}]}"#
        #expect(LLMIntentWriter.parse(Array(completion.utf8), name: "ООО Х", inn: "7705123452", limit: 4).map(\.query)
            == ["ООО Х долги перед банками"])  // "суды" is too short to be a query
    }
}
