/// The `features:` section: behaviour switched by configuration rather than code. Every flag is reported by
/// `GetInfo` and `/info`; all but `queue_backend` change on SIGHUP.
package struct FeatureFlags: Sendable, Equatable {
    /// Write the narrative with the configured LLM; off: the deterministic Russian template.
    package var narrativeLLM = true
    /// Run the web search intents (Tavily, Perplexity).
    package var webSearch = true
    /// Fetch and read the pages web search finds (slower; more evidence).
    package var pageScraping = false
    /// Keep provider answers in storage's cache with a per-provider TTL.
    package var providerCache = true
    /// Where jobs are queued: storage's embedded queue or RabbitMQ.
    package var queueBackend = QueueBackend.embedded
    /// Render the PDF when a job completes; off: on the first download.
    package var renderPDFOnCompletion = true

    package init() {}

    package enum QueueBackend: String, Sendable, CaseIterable {
        case embedded
        case rabbitmq
    }

    package static let keys: [ConfigKey<FeatureFlags>] = [
        .bool("features.narrative_llm", \.narrativeLLM, help: "Write the narrative with the configured LLM; false: the deterministic template.", reloadable: true),
        .bool("features.web_search", \.webSearch, help: "Run the web search intents (Tavily, Perplexity).", reloadable: true),
        .bool("features.page_scraping", \.pageScraping, help: "Fetch and read the pages that web search finds.", reloadable: true),
        .bool("features.provider_cache", \.providerCache, help: "Cache provider answers in storage with a per-provider TTL.", reloadable: true),
        .choice("features.queue_backend", \.queueBackend, help: "Job queue: embedded (in storage) or rabbitmq."),
        .bool("features.render_pdf_on_completion", \.renderPDFOnCompletion, help: "Render the PDF when a job completes; false: on first download.", reloadable: true),
    ]
}
