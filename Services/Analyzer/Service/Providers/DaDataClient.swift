internal import ServiceKit
internal import Foundation
package import Contracts

/// DaData `findById/party`: the company card from ЕГРЮЛ/ЕГРИП. Every field is optional on the wire (many
/// depend on the paid plan), so absent stays absent rather than becoming zero.
package struct DaDataClient: Sendable {
    package let caller: ProviderCaller
    package let apiKey: String

    package init(caller: ProviderCaller, apiKey: String) {
        self.caller = caller
        self.apiKey = apiKey
    }

    /// The card, or nil when DaData does not know the INN; and the attempts it took.
    package func company(inn: String) async throws(ProviderFailure) -> (card: CommonV1.CompanyCard?, attempts: Int) {
        let body = Array(#"{"query":"\#(inn)","branch_type":"MAIN"}"#.utf8)
        let (answer, attempts) = try await caller.call(HTTPRequestSpec(
            .post, caller.settings.baseURL + "/suggestions/api/4_1/rs/findById/party",
            headers: [("Authorization", "Token \(apiKey)"), ("Content-Type", "application/json"), ("Accept", "application/json")], body: body))
        let response: Wire.Response
        do {
            response = try JSONDecoder().decode(Wire.Response.self, from: Data(answer.body))
        } catch {
            throw .malformed("DaData: \(error)")
        }
        return (response.suggestions.first.map { Self.card($0, inn: inn) }, attempts)
    }

    static func card(_ suggestion: Wire.Suggestion, inn: String) -> CommonV1.CompanyCard {
        let data = suggestion.data
        return .with { card in
            card.inn = data?.inn ?? inn
            card.kpp = data?.kpp ?? ""
            card.ogrn = data?.ogrn ?? ""
            card.ogrnDate = date(data?.ogrn_date)
            card.kind = data?.type == "INDIVIDUAL" ? .individual : .legal
            card.fullName = data?.name?.full_with_opf ?? suggestion.unrestricted_value ?? ""
            card.shortName = data?.name?.short_with_opf ?? suggestion.value ?? ""
            card.legalForm = data?.opf?.short ?? ""
            card.status = switch data?.state?.status {
            case "ACTIVE": .active
            case "LIQUIDATING": .liquidating
            case "LIQUIDATED": .liquidated
            case "BANKRUPT": .bankrupt
            case "REORGANIZING": .reorganizing
            default: .unspecified
            }
            card.registrationDate = date(data?.state?.registration_date)
            card.liquidationDate = date(data?.state?.liquidation_date)
            card.actualityDate = date(data?.state?.actuality_date)
            if let address = data?.address {
                card.address = .with {
                    $0.value = address.value ?? ""
                    $0.region = address.data?.region ?? ""
                    $0.city = address.data?.city ?? ""
                    if let invalid = address.invalidity { $0.massRegistration = invalid.code == "MASS" ? true : nil }
                }
            }
            if let management = data?.management, let name = management.name {
                let head = CommonV1.Manager.with {
                    $0.name = name
                    $0.post = management.post.map(capitalisedPost) ?? ""
                    $0.startDate = date(management.start_date)
                    $0.disqualified = management.disqualified
                }
                card.head = head
                card.managers = [head]
            }
            card.founders = (data?.founders ?? []).map { founder in
                .with {
                    $0.kind = founder.type == "LEGAL" ? .legal : .person
                    $0.name = founder.name ?? founder.fio.map { [$0.surname, $0.name, $0.patronymic].compactMap { $0 }.joined(separator: " ") } ?? ""
                    $0.inn = founder.inn ?? ""
                    if founder.share?.type == "PERCENT" { $0.sharePercent = founder.share?.value }
                }
            }
            card.activities = (data?.okveds ?? []).map { okved in
                .with {
                    $0.code = okved.code ?? ""
                    $0.name = okved.name ?? ""
                    $0.main = okved.main ?? false
                }
            }
            if card.activities.isEmpty, let okved = data?.okved { card.activities = [.with { $0.code = okved; $0.main = true }] }
            card.capitalKopecks = data?.capital?.value.map(kopecks)
            card.employeeCount = data?.employee_count.map(Int32.init)
            card.branchCount = data?.branch_count.map(Int32.init)
            if let finance = data?.finance, let year = finance.year {
                card.finances = [.with {
                    $0.year = Int32(year)
                    $0.taxSystem = finance.tax_system ?? ""
                    $0.incomeKopecks = finance.income.map(kopecks)
                    $0.expenseKopecks = finance.expense.map(kopecks)
                    $0.debtKopecks = finance.debt.map(kopecks)
                    $0.penaltyKopecks = finance.penalty.map(kopecks)
                }]
            }
        }
    }

    /// DaData dates are milliseconds since the epoch.
    static func date(_ milliseconds: Int64?) -> String {
        milliseconds.map { UnixTime.isoDate(milliseconds: $0) } ?? ""
    }

    static func kopecks(_ roubles: Double) -> Int64 { Int64((roubles * 100).rounded()) }

    /// "ГЕНЕРАЛЬНЫЙ ДИРЕКТОР" → "Генеральный директор".
    static func capitalisedPost(_ post: String) -> String {
        let lower = post.lowercased()
        return lower.prefix(1).uppercased() + lower.dropFirst()
    }

    /// The wire format; snake_case names as DaData sends them.
    enum Wire {
        struct Response: Decodable { var suggestions: [Suggestion] }
        struct Suggestion: Decodable {
            var value: String?
            var unrestricted_value: String?
            var data: Party?
        }
        struct Party: Decodable {
            var inn: String?, kpp: String?, ogrn: String?, ogrn_date: Int64?, type: String?
            var name: Name?, opf: Opf?, state: State?, management: Management?, founders: [Founder]?
            var okved: String?, okveds: [Okved]?, capital: Capital?, address: Address?
            var employee_count: Int?, branch_count: Int?, finance: Finance?
        }
        struct Name: Decodable { var full_with_opf: String?, short_with_opf: String? }
        struct Opf: Decodable { var short: String? }
        struct State: Decodable { var status: String?, registration_date: Int64?, liquidation_date: Int64?, actuality_date: Int64? }
        struct Management: Decodable { var name: String?, post: String?, disqualified: Bool?, start_date: Int64? }
        struct Founder: Decodable {
            var name: String?, inn: String?, type: String?, fio: FIO?, share: Share?
        }
        struct FIO: Decodable { var surname: String?, name: String?, patronymic: String? }
        struct Share: Decodable { var type: String?, value: Double? }
        struct Okved: Decodable { var main: Bool?, code: String?, name: String? }
        struct Capital: Decodable { var value: Double? }
        struct Address: Decodable {
            var value: String?
            var data: AddressData?
            var invalidity: Invalidity?
        }
        struct AddressData: Decodable { var region: String?, city: String? }
        struct Invalidity: Decodable { var code: String? }
        struct Finance: Decodable { var tax_system: String?, year: Int?, income: Double?, expense: Double?, debt: Double?, penalty: Double? }
    }
}
