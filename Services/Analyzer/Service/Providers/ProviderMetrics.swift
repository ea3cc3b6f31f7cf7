package import Contracts
package import Prometheus
internal import ServiceKit

/// Provider calls in Prometheus: `provider_requests_total{provider,outcome}` (ok, error, timeout,
/// circuit_open), `provider_request_duration_seconds{provider}` and `provider_breaker_open{provider}` (1 while
/// the breaker refuses calls).
package struct ProviderMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry

    package init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    static let buckets: [Duration] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60].map { .nanoseconds(Int64($0 * 1e9)) }

    func record(_ source: CommonV1.Source, outcome: String, duration: Duration, breakerOpen: Bool) {
        let provider = String(source.protoName.dropFirst("SOURCE_".count)).lowercased()
        registry.makeCounter(
            descriptor: .named("provider_requests_total", help: "Provider calls (retries included) by outcome."),
            labels: [("provider", provider), ("outcome", outcome)]
        ).increment()
        if outcome != "circuit_open" {
            registry.makeDurationHistogram(
                descriptor: .named("provider_request_duration_seconds", help: "Time of a provider call, retries included."),
                labels: [("provider", provider)], buckets: Self.buckets
            ).record(duration)
        }
        registry.makeGauge(
            descriptor: .named("provider_breaker_open", help: "1 while the provider's circuit breaker refuses calls."), labels: [("provider", provider)]
        ).set(Int64(breakerOpen ? 1 : 0))
    }
}
