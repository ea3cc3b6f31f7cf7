// Analyzer benchmark: the real pipeline (provider clients over HTTP, collection, scoring, template narrative)
// against the provider sandbox in this process. Measures analyses per second with the sandbox answering at once,
// and the end-to-end time of one analysis with realistic provider latencies against its slowest provider chain
// (DaData, then the web search that needs its name; courts and registries run alongside). Storage, rendering
// and the queue are not in the loop: `rpc_bench.py`, `renderer-bench` and `storage-bench` measure those.
internal import Analyzer
internal import ArgumentParser
internal import Contracts
internal import Hummingbird
internal import Logging
internal import ProviderSandbox

@main
struct AnalyzerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "analyzer-bench", abstract: "Measure the analysis pipeline against the sandbox.")

    @Option(help: "Analyses for the throughput figure.")
    var analyses = 200

    @Option(help: "Analyses running at once for the throughput figure.")
    var concurrency = 8

    @Option(help: "Analyses for the latency figure (each takes about 2 s).")
    var latencyRuns = 5

    static let companies = ["7705123452", "7816345676", "5402987650", "7728456786", "1650123403", "6670112230", "6315445565", "2634778891"]
    static let realistic: [Provider: Int] = [.dadata: 50, .casebook: 200, .infosphere: 500, .tavily: 800, .perplexity: 2000]

    func run() async throws {
        let instant = try await Self.sandbox(SandboxBehaviour())
        let pipeline = Self.pipeline(instant)
        for inn in Self.companies { _ = await pipeline.run(.with { $0.inn = inn }, jobID: "", parent: nil) }  // warm connections
        let start = ContinuousClock.now
        var times: [Double] = []
        await withTaskGroup(of: Double.self) { group in
            var next = 0
            func add() {
                let inn = Self.companies[next % Self.companies.count]
                next += 1
                group.addTask {
                    let begin = ContinuousClock.now
                    _ = await pipeline.run(.with { $0.inn = inn }, jobID: "", parent: nil)
                    return Self.milliseconds(ContinuousClock.now - begin)
                }
            }
            for _ in 0..<min(concurrency, analyses) { add() }
            for await time in group {
                times.append(time)
                if next < analyses { add() }
            }
        }
        let seconds = Self.milliseconds(ContinuousClock.now - start) / 1000
        print("analyzer-bench: \(analyses) analyses, \(concurrency) at once, sandbox answering at once (13 provider calls each)")
        print("throughput: \(Int(Double(analyses) / seconds)) analyses/s; per analysis \(Self.summary(times))")

        let slow = try await Self.sandbox(SandboxBehaviour(latencyMilliseconds: Self.realistic))
        let realistic = Self.pipeline(slow)
        var totals: [Double] = []
        for run in 0..<latencyRuns {
            let begin = ContinuousClock.now
            _ = await realistic.run(.with { $0.inn = Self.companies[run % Self.companies.count] }, jobID: "", parent: nil)
            totals.append(Self.milliseconds(ContinuousClock.now - begin))
        }
        let chain = Double(Self.realistic[.dadata]! + Self.realistic[.perplexity]!)
        let median = totals.sorted()[totals.count / 2]
        print("realistic latencies (DaData 50, Casebook 200, InfoSphere 500, Tavily 800, Perplexity 2000 ms): "
            + "total p50 \(Int(median)) ms over \(latencyRuns) runs; slowest chain \(Int(chain)) ms; overhead \(Int(median - chain)) ms (target ≤ 150)")
    }

    static func pipeline(_ base: String) -> AnalysisPipeline {
        var settings = AnalyzerSettings.defaults
        settings.sandboxURL = base
        let factory = ProviderFactory(transport: AsyncHTTPTransport())
        return AnalysisPipeline(collector: Collector(clients: factory.clients(settings), cache: NoProviderCache()), narrator: nil, sandbox: true)
    }

    /// A sandbox on a free port, serving until the process ends.
    static func sandbox(_ behaviour: SandboxBehaviour) async throws -> String {
        var logger = Logger(label: "sandbox")
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Sandbox(behaviour: behaviour).application(host: "127.0.0.1", port: 0, logger: logger) { continuation.yield($0) }
        Task { try await app.runService() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return "http://127.0.0.1:\(port)"
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func summary(_ times: [Double]) -> String {
        let sorted = times.sorted()
        func at(_ q: Double) -> String {
            let value = sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]
            return String(Int(value * 10) / 10) + "." + String(Int(value * 10) % 10)
        }
        return "p50 \(at(0.5)) ms, p99 \(at(0.99)) ms"
    }
}
