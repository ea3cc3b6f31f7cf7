package import Contracts
internal import ServiceKit

/// Builds the provider clients from the current settings (so SIGHUP's new credentials apply to the next job),
/// keeping one circuit breaker per provider for the life of the process.
package struct ProviderFactory: Sendable {
    package let transport: any HTTPTransport
    private let breakers: [CommonV1.Source: CircuitBreaker]
    private let metrics: ProviderMetrics?

    package init(transport: any HTTPTransport, metrics: ProviderMetrics? = nil) {
        self.transport = transport
        self.metrics = metrics
        breakers = Dictionary(uniqueKeysWithValues: [CommonV1.Source.dadata, .casebook, .infosphere, .tavily, .perplexity, .llm].map { ($0, CircuitBreaker()) })
    }

    /// Provider → "closed", "open" or "half_open".
    package var breakerStates: [String: String] {
        Dictionary(uniqueKeysWithValues: breakers.map { (String($0.key.protoName.dropFirst("SOURCE_".count)).lowercased(), $0.value.label) })
    }

    private func caller(_ source: CommonV1.Source, _ settings: ProviderSettings, sandbox: String, path: String) -> ProviderCaller {
        var settings = settings
        if !sandbox.isEmpty { settings.baseURL = sandbox + path }
        return ProviderCaller(source: source, settings: settings, transport: transport, breaker: breakers[source] ?? CircuitBreaker(), metrics: metrics)
    }

    /// A provider is in use when it is enabled and has credentials (the sandbox needs none).
    package func clients(_ settings: AnalyzerSettings) -> ProviderClients {
        let sandbox = settings.sandboxURL.hasSuffix("/") ? String(settings.sandboxURL.dropLast()) : settings.sandboxURL
        func secret(_ value: Secret) -> String? { value.isSet ? value.value : sandbox.isEmpty ? nil : "sandbox" }
        var clients = ProviderClients()
        if settings.dadata.enabled, let key = secret(settings.dadataAPIKey) {
            clients.dadata = DaDataClient(caller: caller(.dadata, settings.dadata, sandbox: sandbox, path: "/dadata"), apiKey: key)
        }
        if settings.casebook.enabled, let key = secret(settings.casebookAPIKey) {
            clients.casebook = CasebookClient(caller: caller(.casebook, settings.casebook, sandbox: sandbox, path: "/casebook"), apiKey: key)
        }
        if settings.infosphere.enabled, let login = secret(settings.infosphereLogin), let password = secret(settings.infospherePassword) {
            clients.infosphere = InfoSphereClient(
                caller: caller(.infosphere, settings.infosphere, sandbox: sandbox, path: "/infosphere"), login: login, password: password)
        }
        if settings.tavily.enabled, let key = secret(settings.tavilyAPIKey) {
            clients.tavily = TavilyClient(caller: caller(.tavily, settings.tavily, sandbox: sandbox, path: "/tavily"), apiKey: key)
        }
        if settings.perplexity.enabled, let key = secret(settings.perplexityAPIKey) {
            clients.perplexity = PerplexityClient(
                caller: caller(.perplexity, settings.perplexity, sandbox: sandbox, path: "/perplexity"), apiKey: key, model: settings.perplexityModel,
                api: settings.perplexityAPI)
        }
        return clients
    }

    /// The LLM's search-query writer, under the same conditions as the narrator.
    package func intentWriter(_ settings: AnalyzerSettings) -> LLMIntentWriter? {
        narrator(settings).map { LLMIntentWriter(caller: $0.caller, apiKey: $0.apiKey, model: $0.model) }
    }

    /// The LLM narrator, when an endpoint is configured (or the sandbox stands in for it).
    package func narrator(_ settings: AnalyzerSettings) -> LLMNarrator? {
        let sandbox = settings.sandboxURL.hasSuffix("/") ? String(settings.sandboxURL.dropLast()) : settings.sandboxURL
        var llm = settings.llm
        llm.baseURL = settings.llmBaseURL
        if llm.baseURL.isEmpty, !sandbox.isEmpty { llm.baseURL = sandbox + "/llm" }
        guard !llm.baseURL.isEmpty else { return nil }
        let key = settings.llmAPIKey.isSet ? settings.llmAPIKey.value : "sandbox"
        let model = settings.llmModel.isEmpty ? (sandbox.isEmpty ? "gpt-4o-mini" : "sandbox-llm") : settings.llmModel
        return LLMNarrator(
            caller: ProviderCaller(source: .llm, settings: llm, transport: transport, breaker: breakers[.llm] ?? CircuitBreaker(), metrics: metrics), apiKey: key,
            model: model)
    }
}
