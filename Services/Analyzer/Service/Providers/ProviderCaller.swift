internal import Foundation
package import Contracts

/// How one provider is called: where, how long to wait, how often to try.
package struct ProviderSettings: Sendable, Equatable {
    package var enabled = true
    package var baseURL: String
    package var timeout: Duration = .seconds(10)
    /// Attempts in all, the first included (1: no retries).
    package var attempts = 3
    /// First backoff; doubled per attempt, with jitter.
    package var backoff: Duration = .milliseconds(200)
    /// A Retry-After longer than this is not waited for: the call fails with the 429.
    package var maxRetryAfter: Duration = .seconds(5)
    /// How long a successful answer is cached.
    package var cacheTTL: Duration = .seconds(6 * 3600)

    package init(baseURL: String) { self.baseURL = baseURL }
}

/// Calls a provider through the transport with the retry budget and the circuit breaker: retries only what
/// is worth retrying (timeouts, 429 honouring Retry-After, 5xx, broken connections), never 4xx, and records
/// every outcome with the breaker.
package struct ProviderCaller: Sendable {
    package let source: CommonV1.Source
    package let settings: ProviderSettings
    package let transport: any HTTPTransport
    package let breaker: CircuitBreaker
    private let sleep: @Sendable (Duration) async -> Void
    private let metrics: ProviderMetrics?

    package init(
        source: CommonV1.Source, settings: ProviderSettings, transport: any HTTPTransport, breaker: CircuitBreaker = CircuitBreaker(),
        metrics: ProviderMetrics? = nil, sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) }
    ) {
        self.source = source
        self.settings = settings
        self.transport = transport
        self.breaker = breaker
        self.metrics = metrics
        self.sleep = sleep
    }

    /// A successful (2xx) answer and the attempts it took.
    package func call(_ request: HTTPRequestSpec) async throws(ProviderFailure) -> (answer: HTTPAnswer, attempts: Int) {
        let start = ContinuousClock.now
        do {
            let result = try await attempt(request)
            metrics?.record(source, outcome: "ok", duration: .now - start, breakerOpen: false)
            return result
        } catch {
            let outcome = switch error {
            case .circuitOpen: "circuit_open"
            case .timeout: "timeout"
            default: "error"
            }
            metrics?.record(source, outcome: outcome, duration: .now - start, breakerOpen: breaker.label == "open")
            throw error
        }
    }

    private func attempt(_ request: HTTPRequestSpec) async throws(ProviderFailure) -> (answer: HTTPAnswer, attempts: Int) {
        let gate = breaker.allow()
        guard gate.allowed else { throw .circuitOpen(since: gate.unavailableSince) }
        var attempt = 0
        while true {
            // A cancelled analysis (shutdown, a user's cancel) asks nothing more.
            guard !Task.isCancelled else { throw .transport("запрос отменён", attempts: attempt) }
            attempt += 1
            let failure: ProviderFailure
            var retryAfter: Duration?
            do {
                let answer = try await transport.send(request, timeout: settings.timeout)
                if (200..<300).contains(answer.status) {
                    breaker.record(success: true)
                    return (answer, attempt)
                }
                failure = .http(status: answer.status, attempts: attempt)
                retryAfter = answer.header("Retry-After").flatMap(Int.init).map { .seconds($0) }
            } catch {
                switch error {
                case .timeout: failure = .timeout(attempts: attempt)
                case .connection(let reason): failure = .transport(reason, attempts: attempt)
                }
            }
            guard failure.retriable, attempt < settings.attempts, (retryAfter ?? .zero) <= settings.maxRetryAfter else {
                breaker.record(success: false)
                throw failure
            }
            await sleep(retryAfter ?? backoff(attempt: attempt))
        }
    }

    /// POSTs a JSON object to `path` under the base URL with a bearer key (Tavily, Perplexity, the LLM).
    package func postJSON(_ path: String, bearer key: String, _ object: [String: Any]) async throws(ProviderFailure) -> (answer: HTTPAnswer, attempts: Int) {
        let body: [UInt8]
        do {
            body = Array(try JSONSerialization.data(withJSONObject: object))
        } catch {
            throw .malformed("request not encodable as JSON: \(error)")
        }
        return try await call(HTTPRequestSpec(
            .post, settings.baseURL + path, headers: [("Authorization", "Bearer \(key)"), ("Content-Type", "application/json")], body: body))
    }

    /// `backoff × 2^(attempt-1)`, with up to 25 % jitter so callers do not retry in step.
    func backoff(attempt: Int) -> Duration {
        let base = settings.backoff * (1 << min(attempt - 1, 6))
        return base + base * Double.random(in: 0...0.25)
    }
}
