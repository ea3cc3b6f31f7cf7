internal import Foundation
package import Contracts

/// Casebook arbitration cases where the company is a party, every page up to a cap. A failed page fails the
/// whole source: a partial list would read as fewer cases than there are.
package struct CasebookClient: Sendable {
    package let caller: ProviderCaller
    package let apiKey: String
    package let pageSize: Int
    package let maxPages: Int

    package init(caller: ProviderCaller, apiKey: String, pageSize: Int = 50, maxPages: Int = 20) {
        self.caller = caller
        self.apiKey = apiKey
        self.pageSize = pageSize
        self.maxPages = maxPages
    }

    /// The cases, the total Casebook reports (may exceed those fetched when the cap is hit), and attempts.
    package func cases(inn: String) async throws(ProviderFailure) -> (cases: [CommonV1.CourtCase], total: Int, attempts: Int) {
        var cases: [CommonV1.CourtCase] = []
        var attempts = 0, page = 1, total = 0
        while true {
            let (answer, tries) = try await caller.call(HTTPRequestSpec(
                .get, caller.settings.baseURL + "/arbitrage/cases?sideInn=\(inn)&page=\(page)&size=\(pageSize)",
                headers: [("apikey", apiKey), ("Accept", "application/json")]))
            attempts += tries
            let list: Wire.Page
            do {
                list = try JSONDecoder().decode(Wire.Page.self, from: Data(answer.body))
            } catch {
                throw .malformed("Casebook page \(page): \(error)")
            }
            total = list.total ?? cases.count + list.items.count
            cases += list.items.map(Self.courtCase)
            let pages = list.pages ?? 1
            guard page < pages, page < maxPages, !list.items.isEmpty else { break }
            page += 1
        }
        return (cases, total, attempts)
    }

    static func courtCase(_ item: Wire.Item) -> CommonV1.CourtCase {
        .with {
            $0.number = item.caseNumber ?? ""
            $0.court = item.court ?? ""
            $0.date = String((item.registrationDate ?? "").prefix(10))
            $0.category = item.category ?? ""
            $0.role = switch item.role?.lowercased() {
            case "plaintiff": .plaintiff
            case "defendant": .defendant
            case "third", "third_party": .thirdParty
            case nil: .unspecified
            default: .other
            }
            $0.claimKopecks = item.claimSum.map { Int64(($0 * 100).rounded()) }
            $0.status = switch item.status?.lowercased() {
            case "active": .active
            case "closed": .closed
            case "won": .won
            case "lost": .lost
            case "settled": .settled
            default: .unspecified
            }
            $0.url = item.url ?? ""
            $0.bankruptcy = item.isBankruptcy ?? false
            $0.counterparties = (item.sides ?? []).compactMap(\.name)
        }
    }

    enum Wire {
        struct Page: Decodable {
            var items: [Item]
            var total: Int?
            var pages: Int?
        }
        struct Item: Decodable {
            var caseNumber: String?, court: String?, registrationDate: String?, category: String?, role: String?
            var claimSum: Double?, status: String?, url: String?, isBankruptcy: Bool?, sides: [Side]?
        }
        struct Side: Decodable { var name: String? }
    }
}
