package import ServiceKit
internal import Contracts
internal import Logging
internal import RPCCore
internal import RabbitMQ
internal import ServiceLifecycle

/// `analyzer`: the analysis pipeline. A job worker consumes the queue in storage (with
/// `features.queue_backend: rabbitmq`, RabbitMQ's messages naming jobs in storage); each job collects from the
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
        let settings = context.configuration.current.service
        var background: [any Service] = []
        var probes: [ReadinessProbe] = []
        let queue: any JobQueue
        switch context.configuration.current.chassis.features.queueBackend {
        case .embedded:
            queue = StorageJobQueue(client: storage)
        case .rabbitmq:
            let broker = brokerQueue(settings, storage: StorageJobQueue(client: storage))
            queue = broker
            background.append(BrokerShutdown(queue: broker))
            let address = settings.broker.address
            probes.append(ReadinessProbe(name: "rabbitmq") { _ in
                guard broker.isConnected else { throw RPCError(.unavailable, "not connected to RabbitMQ at \(address)") }
                return "consuming \(settings.broker.queue) at \(address)"
            })
        }
        let worker = JobWorker(
            pipeline: pipeline, queue: queue, reports: reports, renderer: renderer, settings: workerSettings,
            logger: context.logger, registry: context.metrics.registry)
        let service = AnalyzerService(
            pipeline: pipeline, reports: reports, renderer: renderer, worker: worker, factory: factory, workerName: workerName,
            queueBackend: context.configuration.current.chassis.features.queueBackend.rawValue)
        context.logger.notice(
            "analyzer: providers \(settings.sandboxURL.isEmpty ? "real" : "sandbox at \(settings.sandboxURL)"), worker \(workerName) × \(settings.workerConcurrency), queue \(context.configuration.current.chassis.features.queueBackend.rawValue)")
        return ServiceParts(register: { router in service.register(in: &router) }, background: [worker] + background, probes: probes)
    }

    /// A consumer with a prefetch of the worker's concurrency: no more messages wait here than it can run.
    static func brokerQueue(_ settings: AnalyzerSettings, storage: StorageJobQueue) -> BrokerJobQueue {
        let broker = settings.broker
        var address = BrokerAddress(host: broker.address.host, port: broker.address.port, user: broker.user, password: broker.password.value)
        address.vhost = broker.vhost
        let consumer = BrokerConsumer(
            address: address, topology: JobTopology(queue: broker.queue, deliveryLimit: broker.deliveryLimit), prefetch: settings.workerConcurrency)
        return BrokerJobQueue(consumer: consumer, storage: storage)
    }
}

/// Closes the RabbitMQ consumer at shutdown; what it had not acked goes back to the queue.
struct BrokerShutdown: Service {
    let queue: BrokerJobQueue

    func run() async throws {
        try? await gracefulShutdown()
        await queue.stop()
    }
}
