package import ServiceKit
internal import Contracts
internal import Logging
internal import RPCCore

/// `analyzer`: the analysis pipeline. A job worker consumes the queue in storage; each job collects from the
/// providers (through storage's cache), scores, writes the narrative, stores the report and its PDF (rendered by
/// report-renderer). The `analyzer.v1` RPCs serve operators and the gateway.
package enum AnalyzerDefinition: ServiceDefinition {
    package typealias Settings = AnalyzerSettings
    package static let name = "analyzer"
    package static let summary = "Client Analyze analyzer: collects provider data, scores the risk, writes the narrative."
    package static let defaultPorts = (rpc: 50052, admin: 9092)
    package static let dependencies: [Dependency] = [
        Dependency("storage", defaultAddress: ServiceAddress(host: "127.0.0.1", port: 50054), required: true),
        Dependency("report-renderer", defaultAddress: ServiceAddress(host: "127.0.0.1", port: 50053), required: true),
    ]

    package static func backends(_ configuration: ServiceConfiguration<AnalyzerSettings>) -> [String: String] {
        ["queue": configuration.chassis.features.queueBackend.rawValue, "providers": configuration.service.sandboxURL.isEmpty ? "real" : "sandbox"]
    }

    package static func makeParts(context: ServiceContext<AnalyzerSettings>) throws -> ServiceParts {
        let storage = try context.client("storage")
        let rendererClient = try context.client("report-renderer")
        guard context.configuration.current.chassis.features.queueBackend == .embedded else {
            throw ConfigError(.invalidValue, "rabbitmq is not available yet; use embedded", key: "features.queue_backend")
        }
        let factory = ProviderFactory(transport: AsyncHTTPTransport(), metrics: ProviderMetrics(registry: context.metrics.registry))
        let storageCache = StorageProviderCache(client: storage)
        let configuration = context.configuration
        let pipeline: @Sendable () -> AnalysisPipeline = {
            let current = configuration.current
            let settings = current.service
            let cache: any ProviderCache = current.chassis.features.providerCache ? storageCache : NoProviderCache()
            return AnalysisPipeline(
                collector: Collector(
                    clients: factory.clients(settings), cache: cache, webConcurrency: settings.webConcurrency, webBudget: settings.webBudget,
                    intentWriter: current.chassis.features.narrativeLLM ? factory.intentWriter(settings) : nil),
                narrator: factory.narrator(settings), sandbox: !settings.sandboxURL.isEmpty)
        }
        let workerName = "analyzer-" + ServiceChassis<AnalyzerDefinition>.instanceName
        let workerSettings: @Sendable () -> WorkerSettings = {
            let current = configuration.current
            var worker = WorkerSettings(name: workerName)
            worker.concurrency = current.service.workerConcurrency
            worker.visibility = current.service.workerVisibility
            worker.renderPDF = current.chassis.features.renderPDFOnCompletion
            worker.webSearch = current.chassis.features.webSearch
            worker.narrativeLLM = current.chassis.features.narrativeLLM
            return worker
        }
        let reports = StorageReportStore(client: storage)
        let renderer = RendererClient(client: rendererClient)
        let worker = JobWorker(
            pipeline: pipeline, queue: StorageJobQueue(client: storage), reports: reports, renderer: renderer, settings: workerSettings,
            logger: context.logger, registry: context.metrics.registry)
        let service = AnalyzerService(
            pipeline: pipeline, reports: reports, renderer: renderer, worker: worker, factory: factory, workerName: workerName,
            queueBackend: context.configuration.current.chassis.features.queueBackend.rawValue)
        let settings = context.configuration.current.service
        context.logger.notice(
            "analyzer: providers \(settings.sandboxURL.isEmpty ? "real" : "sandbox at \(settings.sandboxURL)"), worker \(workerName) × \(settings.workerConcurrency)")
        return ServiceParts(register: { router in service.register(in: &router) }, background: [worker])
    }
}
