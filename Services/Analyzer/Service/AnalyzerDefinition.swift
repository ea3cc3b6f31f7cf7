package import ServiceKit

/// `analyzer`: the analysis pipeline (job worker, provider clients, scoring, narrative). Today it runs the
/// chassis with its dependencies and provider credentials; the pipeline arrives with the analyzer issue.
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
        ["queue": configuration.chassis.features.queueBackend.rawValue]
    }
}

/// The analyzer's own settings: provider credentials (secrets; reloaded by SIGHUP) and the LLM endpoint.
package struct AnalyzerSettings: ServiceSettings {
    package var dadataAPIKey = Secret()
    package var dadataSecretKey = Secret()
    package var casebookAPIKey = Secret()
    package var infosphereLogin = Secret()
    package var infospherePassword = Secret()
    package var tavilyAPIKey = Secret()
    package var perplexityAPIKey = Secret()
    /// An OpenAI-compatible chat-completions endpoint (OpenRouter, GigaChat, YandexGPT, a local model).
    package var llmBaseURL = ""
    package var llmModel = ""
    package var llmAPIKey = Secret()

    package static let defaults = AnalyzerSettings()

    package static let keys: [ConfigKey<AnalyzerSettings>] = [
        .secret("providers.dadata.api_key", \.dadataAPIKey, help: "DaData API key (company card)."),
        .secret("providers.dadata.secret_key", \.dadataSecretKey, help: "DaData secret key."),
        .secret("providers.casebook.api_key", \.casebookAPIKey, help: "Casebook API key (court cases)."),
        .secret("providers.infosphere.login", \.infosphereLogin, help: "InfoSphere login (registry checks)."),
        .secret("providers.infosphere.password", \.infospherePassword, help: "InfoSphere password."),
        .secret("providers.tavily.api_key", \.tavilyAPIKey, help: "Tavily API key (web search)."),
        .secret("providers.perplexity.api_key", \.perplexityAPIKey, help: "Perplexity API key (web search)."),
        .string("llm.base_url", \.llmBaseURL, help: "Chat-completions base URL; empty: the template narrative.", reloadable: true) { text in
            text.isEmpty || text.hasPrefix("http://") || text.hasPrefix("https://") ? nil : "expected an http(s) URL, got \"\(text)\""
        },
        .string("llm.model", \.llmModel, help: "Model name sent to the LLM endpoint.", reloadable: true),
        .secret("llm.api_key", \.llmAPIKey, help: "API key of the LLM endpoint."),
    ]
}
