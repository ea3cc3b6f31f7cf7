@testable import Analyzer
import AsyncHTTPClient
import Contracts
import Foundation
import NIOCore
import NIOHTTP1
import ProviderSandbox
import Testing

/// The sandbox's synthetic companies: one for every valid INN that is not a fixture, the same on every run, and
/// changed on request (the monitoring and batch tests build on them).
@Suite("Synthetic sandbox companies")
struct SyntheticSandboxTests {
    /// Valid ten-digit INNs in a region, from a running number.
    static func inns(region: String = "77", count: Int, from start: Int = 0) -> [String] {
        (start..<start + count).map { number in
            let digits = (region + String(format: "%07d", number)).compactMap(\.wholeNumberValue)
            let check = zip(digits, [2, 4, 10, 3, 5, 9, 4, 6, 8]).map(*).reduce(0, +) % 11 % 10
            return digits.map(String.init).joined() + String(check)
        }
    }

    @Test("the same INN gives the same company; different INNs give different ones")
    func deterministic() {
        let inns = Self.inns(count: 200)
        for inn in inns.prefix(20) {
            let first = SandboxCompany.synthetic(inn: inn), second = SandboxCompany.synthetic(inn: inn)
            #expect(first.shortName == second.shortName && first.ogrn == second.ogrn && first.head == second.head)
            #expect(first.cases.map(\.number) == second.cases.map(\.number) && first.registry == second.registry)
        }
        let names = Set(inns.map { SandboxCompany.synthetic(inn: $0).shortName + SandboxCompany.synthetic(inn: $0).head })
        #expect(names.count >= 190, "\(names.count) distinct name and head pairs of 200")
    }

    @Test("an OGRN is checksum-valid, registered in its year, and leads back to its INN")
    func ogrn() {
        for inn in Self.inns(region: "54", count: 100) {
            let company = SandboxCompany.synthetic(inn: inn)
            let digits = company.ogrn.compactMap(\.wholeNumberValue)
            #expect(digits.count == 13 && digits[0] == 1)
            #expect(digits.prefix(12).reduce(0) { ($0 * 10 + $1) % 11 } % 10 == digits[12], "\(company.ogrn)")
            #expect(company.ogrn.dropFirst(1).prefix(2) == company.registered.dropFirst(2).prefix(2))
            #expect(SandboxCatalogue(behaviour: SandboxBehaviour()).company(innOrOGRN: company.ogrn)?.inn == inn)
            #expect(company.region == "Новосибирская" && company.address.contains("Новосибирск"))
        }
    }

    @Test("a portfolio holds every kind of company, mostly clean ones")
    func kinds() {
        let kinds = Self.inns(count: 1000).map { SandboxCompany.synthetic(inn: $0).kind }
        let counts = Dictionary(grouping: kinds, by: \.self).mapValues(\.count)
        #expect(Set(counts.keys) == [.clean, .liquidated, .bankrupt, .sanctions, .manyLawsuits], "\(counts)")
        #expect(counts[.clean, default: 0] > 600, "\(counts)")
    }

    @Test("each revision adds to the company's history and keeps who it is")
    func revisions() {
        var changed = 0
        for inn in Self.inns(count: 50) {
            var before = SandboxCompany.synthetic(inn: inn)
            for revision in 1...4 {
                let after = SandboxCompany.synthetic(inn: inn, revision: revision)
                #expect(before.shortName == after.shortName && before.ogrn == after.ogrn && before.registered == after.registered
                        && before.address == after.address)
                // Nothing is forgotten: every case and registry record is still there, a status once lost stays lost.
                #expect(Set(before.cases.map(\.number)).isSubset(of: after.cases.map(\.number)))
                #expect(before.registry.allSatisfy { source, records in (after.registry[source]?.count ?? 0) >= records.count })
                if before.status != "ACTIVE" { #expect(after.status == before.status) }
                if after.cases.count != before.cases.count || after.status != before.status || after.head != before.head { changed += 1 }
                before = after
            }
        }
        #expect(changed >= 80, "\(changed) of 200 steps changed the company")
    }

    @Test("fixtures stay as they are, the not-found INN and bad checksums stay unknown, and free text finds a company by its INN")
    func catalogue() {
        let catalogue = SandboxCatalogue(behaviour: SandboxBehaviour())
        #expect(catalogue.company(inn: "7705123452")?.name == "СЕВЕРНЫЙ ВЕТЕР")
        #expect(catalogue.company(inn: "3900123459") == nil)
        #expect(catalogue.company(inn: "7700000001") == nil)  // wrong check digit
        #expect(catalogue.company(inn: "770000000") == nil)
        let inn = Self.inns(count: 1)[0]
        #expect(catalogue.company(in: "ООО ИНН \(inn) арбитражный суд")?.inn == inn)
        #expect(catalogue.company(in: "ИНН 1\(inn)") == nil)  // eleven digits are not an INN
    }

    @Test("through the real clients, a synthetic bankrupt scores critical, and a raised revision is what the next collection sees")
    func collected() async throws {
        let bankrupt = try #require(Self.inns(count: 2000).first { SandboxCompany.synthetic(inn: $0).kind == .bankrupt })
        let behaviour = SandboxBehaviour()
        try await withSandbox(behaviour) { base in
            let collector = Collector(clients: CollectionTests.clients(base), cache: InMemoryProviderCache())
            let collected = await collector.collect(CollectionTests.request(bankrupt), asOf: "2026-11-20")
            #expect(collected.findings.sources.allSatisfy { $0.state == .ok }, "\(collected.findings.sources.map { ($0.source, $0.state) })")
            #expect(collected.findings.company?.shortName.contains(SandboxCompany.synthetic(inn: bankrupt).name) == true)
            #expect(collected.findings.company?.ogrn == SandboxCompany.synthetic(inn: bankrupt).ogrn)
            let risk = RiskScorer().assess(collected.findings)
            #expect(risk.level == .critical)
            #expect(Set(risk.markers.map(\.code)).isSuperset(of: ["registration.bankrupt", "legal.bankruptcy_case"]), "\(risk.markers.map(\.code))")

            // Raised over HTTP, as a monitoring test does; the summary says what the providers now answer.
            var raise = HTTPClientRequest(url: base + "/sandbox/companies/\(bankrupt)/revision")
            raise.method = .POST
            let raised = try await HTTPClient.shared.execute(raise, timeout: .seconds(10))
            #expect(raised.status == .ok)
            let summary = try JSONSerialization.jsonObject(with: Data(String(buffer: try await raised.body.collect(upTo: 1 << 16)).utf8)) as? [String: Any]
            #expect(summary?["revision"] as? Int == 1)
            let now = SandboxCompany.synthetic(inn: bankrupt, revision: 1)
            #expect(summary?["cases"] as? Int == now.cases.count && summary?["status"] as? String == now.status)
            let again = await Collector(clients: CollectionTests.clients(base), cache: InMemoryProviderCache())
                .collect(CollectionTests.request(bankrupt), asOf: "2026-11-20")
            #expect(again.findings.courtCases.count == now.cases.count)

            var fixture = HTTPClientRequest(url: base + "/sandbox/companies/7705123452/revision")
            fixture.method = .POST
            #expect(try await HTTPClient.shared.execute(fixture, timeout: .seconds(10)).status == .badRequest)
        }
    }
}
