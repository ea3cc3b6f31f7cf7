// The provider sandbox as an executable, for `make run`, the system tests and benchmarks.
internal import ArgumentParser
internal import Hummingbird
internal import Logging
internal import ProviderSandbox
internal import Glibc

@main
struct ProviderSandboxMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider-sandbox",
        abstract: "Answers as DaData, Casebook, InfoSphere, Tavily, Perplexity and an OpenAI-compatible LLM, from fixture and synthetic companies.",
        discussion: """
            Base URLs: http://HOST:PORT/dadata, /casebook, /infosphere, /tavily, /perplexity, /llm.
            Faults per request: header X-Sandbox-Fault (401, 429, 500, 503, retry-after:S, timeout, malformed, flaky:N);
            latency per request: header X-Sandbox-Latency-Ms. GET /sandbox/companies lists the fixture companies;
            every other valid INN is a synthetic company (GET /sandbox/companies/INN shows it, POST
            /sandbox/companies/INN/revision changes it).
            """)

    @Option(help: "Address to listen on (loopback by default).")
    var host = "127.0.0.1"

    @Option(help: "Port (0: any free port; the chosen one is printed).")
    var port = 8089

    @Option(name: .customLong("latency"), help: "Latency per provider, e.g. casebook=200 (repeatable).")
    var latencies: [String] = []

    @Option(name: .customLong("fault"), help: "Fault per provider, e.g. tavily=429 (repeatable).")
    var faults: [String] = []

    @Option(help: "How long a 'timeout' fault keeps a request waiting, in seconds.")
    var timeoutSeconds = 30

    func run() async throws {
        func pairs(_ values: [String], _ what: String) throws -> [(Provider, String)] {
            try values.map { value in
                let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let provider = Provider(rawValue: parts[0]) else {
                    throw ValidationError("--\(what) \(value): expected PROVIDER=VALUE with PROVIDER one of \(Provider.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return (provider, parts[1])
            }
        }
        let latency = try Dictionary(pairs(latencies, "latency").map { provider, text in
            guard let milliseconds = Int(text), milliseconds >= 0 else { throw ValidationError("--latency: \(text) is not a number of milliseconds") }
            return (provider, milliseconds)
        }, uniquingKeysWith: { _, last in last })
        let fault = try Dictionary(pairs(faults, "fault").map { provider, text in
            guard let fault = Fault(text) else { throw ValidationError("--fault: \(text) is not a fault (401, 429, 500, 503, retry-after:S, timeout, malformed, flaky:N)") }
            return (provider, fault)
        }, uniquingKeysWith: { _, last in last })
        let sandbox = Sandbox(behaviour: SandboxBehaviour(faults: fault, latencyMilliseconds: latency, timeoutSeconds: timeoutSeconds))
        var logger = Logger(label: "provider-sandbox")
        logger.logLevel = .warning
        let host = host
        let app = sandbox.application(host: host, port: port, logger: logger) { port in
            print("provider sandbox listening on http://\(host):\(port)")
            fflush(nil)  // the line is how a parent learns the port, even through a pipe
        }
        try await app.runService()
    }
}
