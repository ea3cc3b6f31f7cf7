import Analyzer
import Contracts
import Hummingbird
import Logging
import ProviderSandbox

/// A caller for one provider of a sandbox at `base`, with short timeouts and recorded (not slept) backoffs.
func caller(
    _ source: CommonV1.Source, base: String, path: String, attempts: Int = 3, timeout: Duration = .seconds(5),
    breaker: CircuitBreaker = CircuitBreaker(), sleeps: SleepRecorder = SleepRecorder()
) -> ProviderCaller {
    var settings = ProviderSettings(baseURL: base + path)
    settings.attempts = attempts
    settings.timeout = timeout
    settings.backoff = .milliseconds(10)
    return ProviderCaller(source: source, settings: settings, transport: AsyncHTTPTransport(), breaker: breaker, sleep: { await sleeps.record($0) })
}

actor SleepRecorder {
    private(set) var sleeps: [Duration] = []
    func record(_ duration: Duration) { sleeps.append(duration) }
}
