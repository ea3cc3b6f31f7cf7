package import ServiceKit

/// The analyzer's own settings: per provider its endpoint, credentials (secrets; reloaded by SIGHUP), timeout,
/// retry budget and cache TTL; the LLM endpoint; the worker.
package struct AnalyzerSettings: ServiceSettings {
    package var dadataAPIKey = Secret()
    package var dadataSecretKey = Secret()
    package var casebookAPIKey = Secret()
    package var infosphereLogin = Secret()
    package var infospherePassword = Secret()
    package var tavilyAPIKey = Secret()
    package var perplexityAPIKey = Secret()
    package var dadata = ProviderSettings(baseURL: "https://suggestions.dadata.ru")
    package var casebook = ProviderSettings(baseURL: "https://api3.casebook.ru")
    package var infosphere = ProviderSettings(baseURL: "https://i-sphere.ru")
    package var tavily = ProviderSettings(baseURL: "https://api.tavily.com")
    package var perplexity = ProviderSettings(baseURL: "https://api.perplexity.ai")
    package var perplexityAPI = PerplexityClient.API.chat
    package var perplexityModel = "sonar"
    /// The provider sandbox's address; when set, every provider and the LLM are the sandbox (with its own
    /// credentials) and reports are marked as test data.
    package var sandboxURL = ""
    /// An OpenAI-compatible chat-completions endpoint (OpenRouter, GigaChat, YandexGPT, a local model).
    package var llmBaseURL = ""
    package var llmModel = ""
    package var llmAPIKey = Secret()
    package var llm = ProviderSettings(baseURL: "")
    package var workerConcurrency = 2
    package var workerVisibility: Duration = .seconds(30)
    package var webConcurrency = 4
    package var webBudget: Duration = .seconds(30)
    /// The broker whose job messages the worker consumes (`features.queue_backend: rabbitmq`).
    package var broker = BrokerSettings()

    package static let defaults: AnalyzerSettings = {
        var settings = AnalyzerSettings()
        settings.infosphere.timeout = .seconds(60)
        settings.llm.timeout = .seconds(60)
        settings.llm.attempts = 2
        settings.dadata.cacheTTL = .seconds(24 * 3600)
        settings.tavily.timeout = .seconds(8)
        settings.tavily.attempts = 2
        settings.perplexity.timeout = .seconds(25)
        settings.perplexity.attempts = 2
        return settings
    }()

    static func url(_ text: String) -> String? {
        text.isEmpty || text.hasPrefix("http://") || text.hasPrefix("https://") ? nil : "expected an http(s) URL, got \"\(text)\""
    }

    typealias Path<Value> = any WritableKeyPath<AnalyzerSettings, Value> & Sendable

    /// The per-provider keys: base_url, timeout, attempts, cache_ttl, enabled.
    static func providerKeys(
        _ name: String, baseURL: Path<String>, timeout: Path<Duration>, attempts: Path<Int>, cacheTTL: Path<Duration>, enabled: Path<Bool>
    ) -> [ConfigKey<AnalyzerSettings>] {
        [
            .string("providers.\(name).base_url", baseURL, help: "\(name) API base URL.", validate: url),
            .duration("providers.\(name).timeout", timeout, in: .milliseconds(100)...Duration.seconds(300), help: "\(name): time to wait for one answer."),
            .integer("providers.\(name).attempts", attempts, in: 1...10, help: "\(name): attempts in all for retriable failures (timeouts, 429, 5xx)."),
            .duration("providers.\(name).cache_ttl", cacheTTL, in: .seconds(1)...Duration.seconds(30 * 86_400), help: "\(name): how long a successful answer is cached."),
            .bool("providers.\(name).enabled", enabled, help: "\(name): ask this provider at all."),
        ]
    }

    package static let keys: [ConfigKey<AnalyzerSettings>] = [
        .secret("providers.dadata.api_key", \.dadataAPIKey, help: "DaData API key (company card)."),
        .secret("providers.dadata.secret_key", \.dadataSecretKey, help: "DaData secret key."),
        .secret("providers.casebook.api_key", \.casebookAPIKey, help: "Casebook API key (court cases)."),
        .secret("providers.infosphere.login", \.infosphereLogin, help: "InfoSphere login (registry checks)."),
        .secret("providers.infosphere.password", \.infospherePassword, help: "InfoSphere password."),
        .secret("providers.tavily.api_key", \.tavilyAPIKey, help: "Tavily API key (web search)."),
        .secret("providers.perplexity.api_key", \.perplexityAPIKey, help: "Perplexity API key (web search)."),
        .choice("providers.perplexity.api", \.perplexityAPI, help: "Perplexity endpoint: chat (chat/completions) or agent (/v1/agent)."),
        .string("providers.perplexity.model", \.perplexityModel, help: "Perplexity model, e.g. sonar or sonar-pro."),
        .string("providers.sandbox_url", \.sandboxURL, help: "Provider sandbox address; set: every provider is the sandbox.", validate: url),
        .string("llm.base_url", \.llmBaseURL, help: "Chat-completions base URL; empty: the template narrative.", reloadable: true, validate: url),
        .string("llm.model", \.llmModel, help: "Model name sent to the LLM endpoint.", reloadable: true),
        .secret("llm.api_key", \.llmAPIKey, help: "API key of the LLM endpoint."),
        .duration("llm.timeout", \.llm.timeout, in: .seconds(1)...Duration.seconds(300), help: "Time to wait for the LLM's answer.", reloadable: true),
        .integer("worker.concurrency", \.workerConcurrency, in: 1...64, help: "Jobs this analyzer runs at once."),
        .duration("worker.visibility", \.workerVisibility, in: .seconds(3)...Duration.seconds(3600),
                  help: "Lease length without a heartbeat; a crashed analyzer's jobs return to the queue after it."),
        .integer("worker.web_concurrency", \.webConcurrency, in: 1...32, help: "Web searches one analysis runs at once."),
        .duration("worker.web_budget", \.webBudget, in: .seconds(1)...Duration.seconds(600),
                  help: "Longest time the web search of one analysis may take; what has not answered by then is cut off."),
    ]
        + BrokerSettings.keys(
            address: \.broker.address, user: \.broker.user, password: \.broker.password, vhost: \.broker.vhost, queue: \.broker.queue,
            deliveryLimit: \.broker.deliveryLimit)
        + providerKeys(
            "dadata", baseURL: \.dadata.baseURL, timeout: \.dadata.timeout, attempts: \.dadata.attempts, cacheTTL: \.dadata.cacheTTL,
            enabled: \.dadata.enabled)
        + providerKeys(
            "casebook", baseURL: \.casebook.baseURL, timeout: \.casebook.timeout, attempts: \.casebook.attempts,
            cacheTTL: \.casebook.cacheTTL, enabled: \.casebook.enabled)
        + providerKeys(
            "infosphere", baseURL: \.infosphere.baseURL, timeout: \.infosphere.timeout, attempts: \.infosphere.attempts,
            cacheTTL: \.infosphere.cacheTTL, enabled: \.infosphere.enabled)
        + providerKeys(
            "tavily", baseURL: \.tavily.baseURL, timeout: \.tavily.timeout, attempts: \.tavily.attempts, cacheTTL: \.tavily.cacheTTL,
            enabled: \.tavily.enabled)
        + providerKeys(
            "perplexity", baseURL: \.perplexity.baseURL, timeout: \.perplexity.timeout, attempts: \.perplexity.attempts,
            cacheTTL: \.perplexity.cacheTTL, enabled: \.perplexity.enabled)
}
