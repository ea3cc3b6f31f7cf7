package import Contracts
internal import Domain
package import RPCCore

/// Turns an OGRN or OGRNIP into the INN of the company registered under it, by asking DaData through the
/// analyzer (`LookupSource`, cached like every registry answer): OGRN is an alternative key wherever an INN is.
struct OGRNResolver: Sendable {
    let analyzer: RPCClient

    func inn(of ogrn: String, _ field: String) async throws -> String {
        if let problem = OGRN.problem(ogrn) { throw EdgeValidation.invalid(field, problem) }
        let answer = try await analyzer.unary(AnalyzerV1.Analyzer.Method.LookupSource.self, .with {
            $0.source = .dadata
            $0.ogrn = ogrn
        }).message
        if case .company(let card)? = answer.result, !card.inn.isEmpty { return card.inn }
        let status = answer.status ?? CommonV1.SourceStatus()
        guard status.state == .notFound || status.state == .ok || status.state == .cached else {
            throw RPCError(.unavailable, "\(field): the registry (DaData) could not be asked for OGRN \(ogrn): \(status.reason)")
        }
        throw RPCError(.notFound, "\(field): no company with OGRN \(ogrn) in ЕГРЮЛ/ЕГРИП")
    }
}
