@testable import Analyzer
import Contracts
import ProviderSandbox
import Testing

/// Every provider client against every fault the sandbox injects: each ends in the state and the attempt count
/// the rules promise (retry timeouts, 429 and 5xx; never 4xx or a malformed body).
@Suite("Provider fault matrix")
struct ProviderFaultMatrixTests {
    enum Client: String, CaseIterable, Sendable { case dadata, casebook, infosphere, tavily, perplexity }

    static let faults: [(Fault, CommonV1.SourceStatus.State, attempts: Int)] = [
        (.status(401), .error, 1),
        (.status(503), .error, 2),
        (.retryAfter(seconds: 1), .error, 2),
        (.timeout, .timeout, 2),
        (.malformed, .error, 1),
    ]

    static var cases: [(Client, Int)] { Client.allCases.flatMap { client in faults.indices.map { (client, $0) } } }

    /// Calls the client's one operation against a known company.
    static func call(_ client: Client, base: String) async throws(ProviderFailure) {
        let make = { (source: CommonV1.Source, path: String) in
            caller(source, base: base, path: path, attempts: 2, timeout: .milliseconds(1500))  // under the sandbox's 2 s hold, with room for a busy machine
        }
        switch client {
        case .dadata: _ = try await DaDataClient(caller: make(.dadata, "/dadata"), apiKey: "k").company(inn: "7705123452")
        case .casebook: _ = try await CasebookClient(caller: make(.casebook, "/casebook"), apiKey: "k").cases(inn: "7705123452")
        case .infosphere: _ = try await InfoSphereClient(caller: make(.infosphere, "/infosphere"), login: "u", password: "p").check(inn: "7705123452")
        case .tavily: _ = try await TavilyClient(caller: make(.tavily, "/tavily"), apiKey: "k").search("СЕВЕРНЫЙ ВЕТЕР", intent: .news)
        case .perplexity: _ = try await PerplexityClient(caller: make(.perplexity, "/perplexity"), apiKey: "k").ask("СЕВЕРНЫЙ ВЕТЕР", intent: .news)
        }
    }

    @Test("each client, each fault", arguments: cases)
    func matrix(client: Client, faultIndex: Int) async throws {
        let (fault, state, attempts) = Self.faults[faultIndex]
        let provider = Provider(rawValue: client.rawValue)!
        let behaviour = SandboxBehaviour(faults: [provider: fault], timeoutSeconds: 2)
        try await withSandbox(behaviour) { base in
            let error = await #expect(throws: ProviderFailure.self) { try await Self.call(client, base: base) }
            #expect(error?.state == state, "\(client) \(fault): \(String(describing: error))")
            #expect(error?.attempts == attempts, "\(client) \(fault): \(String(describing: error))")
            #expect(behaviour.requestCounts[provider] == attempts)
        }
    }

    @Test("each client's happy path against the sandbox", arguments: Client.allCases)
    func happy(client: Client) async throws {
        try await withSandbox { base in try await Self.call(client, base: base) }
    }
}
