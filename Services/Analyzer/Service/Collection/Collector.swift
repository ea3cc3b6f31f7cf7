package import Contracts
internal import ServiceKit

/// The provider clients in use; nil means the provider is not configured (no credentials).
package struct ProviderClients: Sendable {
    package var dadata: DaDataClient?
    package var casebook: CasebookClient?
    package var infosphere: InfoSphereClient?
    package var tavily: TavilyClient?
    package var perplexity: PerplexityClient?

    package init(
        dadata: DaDataClient? = nil, casebook: CasebookClient? = nil, infosphere: InfoSphereClient? = nil, tavily: TavilyClient? = nil,
        perplexity: PerplexityClient? = nil
    ) {
        self.dadata = dadata
        self.casebook = casebook
        self.infosphere = infosphere
        self.tavily = tavily
        self.perplexity = perplexity
    }

    func ttl(_ source: CommonV1.Source) -> Duration {
        let settings: ProviderSettings? = switch source {
        case .dadata: dadata?.caller.settings
        case .casebook: casebook?.caller.settings
        case .infosphere: infosphere?.caller.settings
        case .tavily: tavily?.caller.settings
        case .perplexity: perplexity?.caller.settings
        default: nil
        }
        return settings?.cacheTTL ?? .seconds(3600)
    }
}

/// What collection produced: the findings, and the web answers (Perplexity) the narrative may use.
package struct Collected: Sendable {
    package var findings: Findings
    package var webAnswers: [String]
}

/// Asks every source for one subject: the registries (DaData, Casebook, InfoSphere) at once, then the web
/// search intents through Tavily and Perplexity with bounded concurrency. Successful answers go through the
/// cache (unless the request refreshes that source); every source ends with a status saying how it fared.
package struct Collector: Sendable {
    package let clients: ProviderClients
    package let cache: any ProviderCache
    package let webConcurrency: Int
    /// The longest the whole web search may take.
    package let webBudget: Duration
    /// Writes extra search queries with the LLM, when one is configured; templates alone otherwise.
    package let intentWriter: LLMIntentWriter?
    let now: @Sendable () -> Int64

    package init(
        clients: ProviderClients, cache: any ProviderCache, webConcurrency: Int = 4, webBudget: Duration = .seconds(30),
        intentWriter: LLMIntentWriter? = nil, now: @escaping @Sendable () -> Int64 = { UnixTime.nowMilliseconds }
    ) {
        self.webBudget = webBudget
        self.clients = clients
        self.cache = cache
        self.intentWriter = intentWriter
        self.webConcurrency = max(1, webConcurrency)
        self.now = now
    }

    package typealias Progress = @Sendable (CommonV1.Stage, Int32, String, CommonV1.SourceStatus?) async -> Void

    /// Every provider call made for the request counts against the breakers as the request's INN (see
    /// `CircuitBreaker`).
    package func collect(_ request: CommonV1.AnalysisRequest, asOf: String, progress: Progress = { _, _, _, _ in }) async -> Collected {
        await ProviderSubject.$current.withValue(request.inn) { await collectAll(request, asOf: asOf, progress: progress) }
    }

    private func collectAll(_ request: CommonV1.AnalysisRequest, asOf: String, progress: Progress) async -> Collected {
        let options = request.options
        let wanted = Set(options?.sources ?? [])
        func asked(_ source: CommonV1.Source) -> Bool { wanted.isEmpty || wanted.contains(source) }
        var refresh = Set(options?.refreshSources ?? [])
        refresh.formUnion(request.feedback?.refreshSources ?? [])
        let forceAll = options?.forceRefresh ?? false
        func fresh(_ source: CommonV1.Source) -> Bool { forceAll || refresh.contains(source) }

        await progress(.registries, 10, "Запрашиваем реестры", nil)
        let inn = request.inn
        let (askDaData, askCasebook, askInfoSphere) = (asked(.dadata), asked(.casebook), asked(.infosphere))
        let (freshDaData, freshCasebook, freshInfoSphere) = (fresh(.dadata), fresh(.casebook), fresh(.infosphere))
        // Courts and registries run while the card is fetched and, once it is in, while the web is searched:
        // only the web search waits, for the company's name.
        async let cases = courtCases(inn: inn, asked: askCasebook, fresh: freshCasebook)
        async let hits = registryHits(inn: inn, asked: askInfoSphere, fresh: freshInfoSphere)
        var (card, cardStatus) = await companyCard(inn: inn, asked: askDaData, fresh: freshDaData)
        if cardStatus.state == .ok, (card ?? nil) == nil {
            cardStatus.state = .notFound
            cardStatus.reason = "ИНН \(request.inn) не найден в ЕГРЮЛ/ЕГРИП"
        }
        await progress(.registries, 25, Self.said(cardStatus), cardStatus)

        let searchWeb = (options?.webSearch ?? true) && !Task.isCancelled
        let name = request.clientName.isEmpty ? (card??.shortName ?? "") : request.clientName
        var intents = SearchIntents.plan(inn: request.inn, name: name, notes: request.notes, feedback: request.feedback, extra: options?.extraIntents ?? [])
        if searchWeb, options?.narrativeLlm ?? true, let intentWriter {
            let written = await intentWriter.intents(inn: request.inn, name: name, card: card ?? nil, notes: request.notes)
            intents += written.filter { candidate in !intents.contains { $0.query == candidate.query } }
        }
        let question = SearchIntents.question(inn: request.inn, name: name, intents: intents)
        let (askTavily, askPerplexity) = (asked(.tavily), asked(.perplexity))
        let (freshTavily, freshPerplexity) = (fresh(.tavily), fresh(.perplexity))
        if searchWeb { await progress(.webSearch, 30, "Ищем упоминания в интернете", nil) }
        async let web = searchWeb
            ? webSearch(intents, question: question, askTavily: askTavily, askPerplexity: askPerplexity, freshTavily: freshTavily, freshPerplexity: freshPerplexity)
            : nil
        let (courtCases, casesStatus) = await cases
        let (registryHits, hitsStatus) = await hits
        for status in [casesStatus, hitsStatus] { await progress(.registries, 45, Self.said(status), status) }

        var findings = Findings(
            company: card ?? nil, courtCases: courtCases ?? [], registryHits: registryHits ?? [],
            sources: [cardStatus, casesStatus, hitsStatus], asOf: asOf)
        var answers: [String] = []
        if let web = await web {
            findings.webMentions = web.mentions
            findings.sources += web.statuses
            answers = web.answers
            for status in web.statuses { await progress(.webSearch, 70, Self.said(status), status) }
        } else {
            findings.sources += [CommonV1.Source.tavily, .perplexity].map { source in
                .with {
                    $0.source = source
                    $0.state = .disabled
                    $0.reason = "веб-поиск выключен в запросе"
                }
            }
        }
        return Collected(findings: findings, webAnswers: answers)
    }

    /// A progress line for a source: "Casebook: получено, 15 записей" or "Tavily: нет ответа (таймаут)".
    static func said(_ status: CommonV1.SourceStatus) -> String {
        let name = TemplateNarrative.sourceName(status.source)
        switch status.state {
        case .ok: return "\(name): получено, записей \(status.items)"
        case .cached: return "\(name): из кэша, записей \(status.items)"
        case .notFound: return "\(name): сведений нет"
        case .timeout: return "\(name): нет ответа (таймаут)"
        case .error: return "\(name): ошибка — \(status.reason)"
        case .partial: return "\(name): частично — \(status.reason)"
        case .circuitOpen: return "\(name): \(status.reason)"
        case .notConfigured: return "\(name): не настроен"
        default: return "\(name): не запрошен"
        }
    }

    func companyCard(inn: String, asked: Bool, fresh: Bool) async -> (CommonV1.CompanyCard??, CommonV1.SourceStatus) {
        await registry(
            .dadata, asked: asked, key: "dadata:\(inn)", fresh: fresh, client: clients.dadata,
            fetch: { (client: DaDataClient) async throws(ProviderFailure) in
                let (card, attempts) = try await client.company(inn: inn)
                return Fetched(value: card, attempts: attempts)
            },
            encode: { card in try card?.serializedBytes() ?? [] },
            decode: { bytes in bytes.isEmpty ? nil : try CommonV1.CompanyCard(serializedBytes: bytes) },
            count: { $0 == nil ? 0 : 1 })
    }

    func courtCases(inn: String, asked: Bool, fresh: Bool) async -> ([CommonV1.CourtCase]?, CommonV1.SourceStatus) {
        await registry(
            .casebook, asked: asked, key: "casebook:\(inn)", fresh: fresh, client: clients.casebook,
            fetch: { (client: CasebookClient) async throws(ProviderFailure) in
                let (cases, _, attempts) = try await client.cases(inn: inn)
                return Fetched(value: cases, attempts: attempts)
            },
            encode: { cases in try AnalyzerV1.CourtCaseList.with { $0.cases = cases }.serializedBytes() },
            decode: { try AnalyzerV1.CourtCaseList(serializedBytes: $0).cases },
            count: { $0.count })
    }

    func registryHits(inn: String, asked: Bool, fresh: Bool) async -> ([CommonV1.RegistryHit]?, CommonV1.SourceStatus) {
        await registry(
            .infosphere, asked: asked, key: "infosphere:\(inn)", fresh: fresh, client: clients.infosphere,
            fetch: { (client: InfoSphereClient) async throws(ProviderFailure) in
                let (hits, failed, attempts) = try await client.check(inn: inn)
                return Fetched(value: hits, attempts: attempts, unanswered: failed, parts: client.registries.count)
            },
            encode: { hits in try AnalyzerV1.RegistryHitList.with { $0.hits = hits }.serializedBytes() },
            decode: { try AnalyzerV1.RegistryHitList(serializedBytes: $0).hits },
            count: { $0.count })
    }
}
