internal import Hummingbird
internal import Logging

/// Runs the provider sandbox in-process on a free loopback port for `body`, which gets its base URL.
///
/// The server is not stopped afterwards: stopping a Hummingbird 2.28 server while a client still connects (an
/// abandoned analysis, a pooled connection) trips NIO's "Deinited NIOAsyncWriter without calling finish()"
/// assertion and kills the test process. Each server is idle once its test ends and goes with the process.
package func withSandbox<Value: Sendable>(
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
