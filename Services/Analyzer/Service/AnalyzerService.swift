package import Contracts
internal import Domain
package import RPCCore

/// `analyzer.v1.Analyzer`: synchronous analysis (streaming progress, then the report), a raw look-up of one
/// source, the scoring model, and the worker's status.
package struct AnalyzerService: Sendable {
    private let pipeline: @Sendable () -> AnalysisPipeline
    private let reports: any ReportStore
    private let renderer: any PDFRenderer
    private let worker: JobWorker
    private let factory: ProviderFactory
    private let workerName: String
    private let queueBackend: String

    package init(
        pipeline: @escaping @Sendable () -> AnalysisPipeline, reports: any ReportStore, renderer: any PDFRenderer, worker: JobWorker,
        factory: ProviderFactory, workerName: String, queueBackend: String
    ) {
        self.pipeline = pipeline
        self.reports = reports
        self.renderer = renderer
        self.worker = worker
        self.factory = factory
        self.workerName = workerName
        self.queueBackend = queueBackend
    }

    private typealias Method = AnalyzerV1.Analyzer.Method

    package func register(in router: inout RPCRouter) {
        router.registerServerStreaming(Method.Analyze.self) { request, writer, _ in
            // The same feature-flag defaults as queued jobs get.
            let analysis = worker.settings.applyingDefaults(to: try Self.validated(request.request))
            let (events, continuation) = AsyncStream.makeStream(of: CommonV1.ProgressEvent.self)
            async let report = pipeline().run(analysis, jobID: "", parent: nil) { stage, percent, message, source in
                continuation.yield(.with {
                    $0.stage = stage
                    $0.percent = percent
                    $0.message = message
                    if let source { $0.detail = .source(source) }
                })
            }
            let forward = Task {
                for await event in events { try await writer.write(.with { $0.event = .progress(event) }) }
            }
            var result = await report
            continuation.finish()
            try await forward.value
            if request.store {
                result = try await reports.put(result, jobID: "")
                let pdf = try await renderer.pdf(result)
                try await reports.putDocument(reportID: result.id, format: "pdf", contentType: "application/pdf", data: pdf)
            }
            try await writer.write(.with { $0.event = .report(result) })
            return [:]
        }
        router.registerUnary(Method.LookupSource.self) { request, _ in ServerResponse(try await lookup(request)) }
        router.registerUnary(Method.DescribeScoringModel.self) { _, _ in ServerResponse(Self.describe(pipeline().scorer.model)) }
        router.registerUnary(Method.WorkerStatus.self) { _, _ in
            let counts = worker.counts
            return ServerResponse(.with {
                $0.worker = workerName
                $0.queueBackend = queueBackend
                $0.concurrency = Int32(worker.concurrency)
                $0.runningJobIds = counts.running.sorted()
                $0.jobsCompleted = counts.completed
                $0.jobsFailed = counts.failed
                $0.breakers = factory.breakerStates
            })
        }
    }

    static func validated(_ request: CommonV1.AnalysisRequest?) throws -> CommonV1.AnalysisRequest {
        guard let request else { throw RPCError(.invalidArgument, "request: required") }
        if let problem = INN.problem(request.inn) { throw RPCError(.invalidArgument, "request.inn: \(problem)") }
        return request
    }

    func lookup(_ request: AnalyzerV1.LookupSourceRequest) async throws -> AnalyzerV1.LookupSourceResponse {
        let collector = pipeline().collector
        let options = CommonV1.AnalysisOptions.with { $0.sources = [request.source]; $0.forceRefresh = request.refresh; $0.webSearch = false }
        switch request.source {
        case .dadata, .casebook, .infosphere:
            // DaData finds a company by its OGRN as by its INN: the key is only its query.
            let key: String
            if !request.ogrn.isEmpty {
                guard request.source == .dadata else { throw RPCError(.invalidArgument, "ogrn: only SOURCE_DADATA looks a company up by OGRN") }
                if let problem = OGRN.problem(request.ogrn) { throw RPCError(.invalidArgument, "ogrn: \(problem)") }
                key = request.ogrn
            } else {
                if let problem = INN.problem(request.inn) { throw RPCError(.invalidArgument, "inn: \(problem)") }
                key = request.inn
            }
            let collected = await collector.collect(.with { $0.inn = key; $0.options = options }, asOf: "")
            let status = collected.findings.sources.first { $0.source == request.source } ?? CommonV1.SourceStatus()
            return .with {
                $0.status = status
                guard status.state.answered else { return }
                switch request.source {
                case .dadata: if let card = collected.findings.company { $0.result = .company(card) }
                case .casebook: $0.result = .courtCases(.with { $0.cases = collected.findings.courtCases; $0.total = Int32(collected.findings.courtCases.count) })
                default: $0.result = .registryHits(.with { $0.hits = collected.findings.registryHits })
                }
            }
        case .tavily, .perplexity:
            guard let web = request.web, !web.query.isEmpty else { throw RPCError(.invalidArgument, "web.query: required for web sources") }
            let intent = SearchIntents.Intent(kind: .custom, query: web.query)
            // The query is the subject the breaker counts a failure against.
            let result = await ProviderSubject.$current.withValue(web.query) {
                await collector.webSearch(
                    request.source == .tavily ? [intent] : [], question: intent, askTavily: request.source == .tavily,
                    askPerplexity: request.source == .perplexity, freshTavily: request.refresh, freshPerplexity: request.refresh)
            }
            return .with {
                $0.status = result.statuses.first { $0.source == request.source } ?? CommonV1.SourceStatus()
                $0.result = .webMentions(.with { $0.mentions = result.mentions; $0.answer = result.answers.first ?? "" })
            }
        default:
            throw RPCError(.invalidArgument, "source: one of SOURCE_DADATA, SOURCE_CASEBOOK, SOURCE_INFOSPHERE, SOURCE_TAVILY, SOURCE_PERPLEXITY")
        }
    }

    static func describe(_ model: ScoringModel) -> AnalyzerV1.DescribeScoringModelResponse {
        .with { response in
            response.version = model.version
            response.categoryWeights = Dictionary(uniqueKeysWithValues: model.categoryWeights.map {
                (String($0.key.protoName.dropFirst("RISK_CATEGORY_".count)).lowercased(), $0.value)
            })
            response.levelThresholds = ["medium": model.thresholds.medium, "high": model.thresholds.high, "critical": model.thresholds.critical]
            response.rules = MarkerRules.all.keys.sorted().compactMap { code in
                guard let definition = MarkerRules.all[code], let rule = model.rules[code] else { return nil }
                return .with {
                    $0.code = code
                    $0.category = definition.category
                    $0.severity = rule.severity
                    $0.title = definition.title
                    $0.rule = definition.rule
                    $0.weight = rule.weight
                    $0.levelFloor = rule.floor ?? .unspecified
                }
            }
        }
    }
}
