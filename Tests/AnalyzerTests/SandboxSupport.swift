import Analyzer
import Contracts
import Hummingbird
import Logging
import ProviderSandbox

/// Runs the provider sandbox in-process on a free loopback port for `body`.
///
/// The server is not stopped afterwards: stopping a Hummingbird 2.28 server while a client still connects (an
/// abandoned analysis, a pooled connection) trips NIO's "Deinited NIOAsyncWriter without calling finish()"
/// assertion and kills the test process. Each server is idle once its test ends and goes with the process.
func withSandbox<Value: Sendable>(
    _ behaviour: SandboxBehaviour = SandboxBehaviour(), _ body: (String) async throws -> Value
) async throws -> Value {
    var logger = Logger(label: "sandbox")
    logger.logLevel = .critical
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = Sandbox(behaviour: behaviour).application(host: "127.0.0.1", port: 0, logger: logger) { port in continuation.yield(port) }
    let server = Task { try await app.runService() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { throw CancellationError() }
    _ = server
    return try await body("http://127.0.0.1:\(port)")
}

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
