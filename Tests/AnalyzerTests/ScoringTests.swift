@testable import Analyzer
import Contracts
import Foundation
import Testing

/// The scoring model per kind of company, as a table: level, the markers that must fire, confidence.
@Suite("Scoring")
struct ScoringTests {
    static let asOf = "2026-11-20"

    static func ok(_ source: CommonV1.Source, _ state: CommonV1.SourceStatus.State = .ok) -> CommonV1.SourceStatus {
        .with {
            $0.source = source
            $0.state = state
        }
    }

    static let allAnswered = [CommonV1.Source.dadata, .casebook, .infosphere, .tavily, .perplexity].map { ok($0) }

    static func company(_ status: CommonV1.CompanyStatus = .active, registered: String = "2012-05-04") -> CommonV1.CompanyCard {
        .with {
            $0.inn = "7705123452"
            $0.kind = .legal
            $0.status = status
            $0.registrationDate = registered
            $0.head = .with { $0.name = "Орлова Марина Сергеевна"; $0.post = "Генеральный директор"; $0.disqualified = false }
            $0.managers = [$0.head!]
            $0.capitalKopecks = 50_000_000
            $0.address = .with { $0.value = "г. Москва"; $0.massRegistration = false }
        }
    }

    static func defendantCase(_ index: Int, claim: Int64 = 50_000_000, status: CommonV1.CaseStatus = .active) -> CommonV1.CourtCase {
        .with {
            $0.number = "А40-\(1000 + index)/2026"
            $0.date = "2026-0\(1 + index % 9)-10"
            $0.role = .defendant
            $0.claimKopecks = claim
            $0.status = status
        }
    }

    static func hit(_ kind: CommonV1.RegistryKind, amount: Int64? = nil) -> CommonV1.RegistryHit {
        .with {
            $0.kind = kind
            $0.registry = "test"
            $0.title = "запись"
            $0.amountKopecks = amount
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var findings: Findings
        var level: CommonV1.RiskLevel
        var markers: Set<String>
        var confidence: ClosedRange<Double>
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "clean", findings: Findings(company: company(), sources: allAnswered, asOf: asOf), level: .low, markers: [], confidence: 1...1),
        Case(name: "liquidated", findings: Findings(company: company(.liquidated), sources: allAnswered, asOf: asOf),
             level: .critical, markers: ["registration.liquidated"], confidence: 1...1),
        Case(name: "bankrupt", findings: Findings(
                company: company(.bankrupt),
                courtCases: [.with { $0.number = "А45-1/2026"; $0.bankruptcy = true; $0.role = .defendant; $0.status = .active; $0.date = "2026-03-01" }],
                registryHits: [hit(.bankruptcy)], sources: allAnswered, asOf: asOf),
             level: .critical, markers: ["registration.bankrupt", "legal.bankruptcy_case"], confidence: 1...1),
        Case(name: "many lawsuits as defendant", findings: Findings(
                company: company(), courtCases: (0..<12).map { defendantCase($0, claim: 200_000_000) }, sources: allAnswered, asOf: asOf),
             level: .medium, markers: ["legal.defendant_cases", "legal.large_claims"], confidence: 1...1),
        Case(name: "sanctions hit", findings: Findings(company: company(), registryHits: [hit(.sanctions)], sources: allAnswered, asOf: asOf),
             level: .critical, markers: ["regulatory.sanctions"], confidence: 1...1),
        Case(name: "disqualified director", findings: Findings(
                company: { var card = company(); card.managers[0].disqualified = true; return card }(), sources: allAnswered, asOf: asOf),
             level: .high, markers: ["regulatory.disqualified_director"], confidence: 1...1),
        Case(name: "registered last month", findings: Findings(company: company(registered: "2026-10-15"), sources: allAnswered, asOf: asOf),
             level: .low, markers: ["registration.recently_registered"], confidence: 1...1),
        Case(name: "mass address", findings: Findings(
                company: { var card = company(); card.address?.massRegistration = true; return card }(), registryHits: [hit(.massDirector)],
                sources: allAnswered, asOf: asOf),
             level: .low, markers: ["registration.mass_address", "registration.mass_director"], confidence: 1...1),
        Case(name: "partial data", findings: Findings(
                company: company(), sources: [ok(.dadata), ok(.casebook, .error), ok(.infosphere, .cached), ok(.tavily, .timeout), ok(.perplexity, .notConfigured)],
                asOf: asOf),
             level: .low, markers: [], confidence: 0.5...0.6),
        Case(name: "not found", findings: Findings(
                sources: [ok(.dadata, .notFound), ok(.casebook), ok(.infosphere, .error), ok(.tavily), ok(.perplexity)], asOf: asOf),
             level: .insufficientData, markers: [], confidence: 0...0),
    ]

    @Test("each kind of company gets its level, markers and confidence", arguments: cases)
    func table(_ scenario: Case) {
        let risk = RiskScorer().assess(scenario.findings)
        #expect(risk.level == scenario.level, "score \(risk.score), markers \(risk.markers.map(\.code))")
        #expect(Set(risk.markers.map(\.code)) == scenario.markers)
        #expect(scenario.confidence.contains(risk.confidence), "confidence \(risk.confidence)")
        #expect(risk.modelVersion == "2026.11.1")
        #expect((0...100).contains(risk.score))
        #expect(risk.markers.allSatisfy { !$0.evidence.isEmpty && !$0.title.isEmpty && $0.contribution > 0 })
    }

    @Test("a critical floor raises the level and records what it would have been")
    func floors() {
        let risk = RiskScorer().assess(Findings(company: Self.company(.liquidated), sources: Self.allAnswered, asOf: Self.asOf))
        #expect(risk.level == .critical)
        #expect(risk.unflooredLevel == .low)  // 100 points in registration, weighted 0.15: 15
        #expect(risk.score == 15)
    }

    @Test("categories whose sources failed have no data and do not dilute the total")
    func categoriesWithoutData() {
        let findings = Findings(
            company: Self.company(), courtCases: [], registryHits: [Self.hit(.taxDebt)],
            sources: [Self.ok(.dadata), Self.ok(.casebook, .error), Self.ok(.infosphere), Self.ok(.tavily, .timeout), Self.ok(.perplexity, .timeout)],
            asOf: Self.asOf)
        let risk = RiskScorer().assess(findings)
        let legal = risk.categories.first { $0.category == .legal }
        #expect(legal?.hasData == false)
        #expect(risk.categories.first { $0.category == .reputation }?.hasData == false)
        // Financial 60 × 0.25 over the weights of financial, regulatory, registration (0.6): 25.
        #expect(risk.score == 25)
        #expect(risk.level == .medium)
    }

    @Test("an unidentified company: no confidence, no category has data, 'not found' covers nothing")
    func unidentified() {
        let findings = Findings(
            sources: [Self.ok(.dadata, .notFound), Self.ok(.casebook), Self.ok(.infosphere, .notFound), Self.ok(.tavily), Self.ok(.perplexity)],
            asOf: Self.asOf)
        let risk = RiskScorer().assess(findings)
        #expect(risk.level == .insufficientData && risk.score == 0)
        #expect(risk.confidence == 0)
        #expect(risk.sourceCoverage == 0.6)  // Casebook, Tavily, Perplexity of five; the two "not found"s count for nothing
        #expect(risk.categories.allSatisfy { !$0.hasData })
    }

    @Test("a source that answered part of its queries lowers confidence by its share and leaves its category without data")
    func partialSource() {
        var tavily = Self.ok(.tavily, .partial)
        tavily.queries = 9
        tavily.queriesAnswered = 3
        let findings = Findings(
            company: Self.company(), sources: [Self.ok(.dadata), Self.ok(.casebook), Self.ok(.infosphere), tavily, Self.ok(.perplexity, .notConfigured)],
            asOf: Self.asOf)
        let risk = RiskScorer().assess(findings)
        let reputation = risk.categories.first { $0.category == .reputation }
        #expect(reputation?.hasData == false)
        #expect(reputation?.missingSources == [.tavily])
        #expect(risk.categories.filter { $0.category != .reputation }.allSatisfy { $0.hasData && $0.missingSources.isEmpty })
        let full = RiskScorer().assess(Findings(
            company: Self.company(), sources: [Self.ok(.dadata), Self.ok(.casebook), Self.ok(.infosphere), Self.ok(.tavily), Self.ok(.perplexity, .notConfigured)],
            asOf: Self.asOf))
        let tavilyWeight = ScoringModel.standard.sourceWeights[.tavily] ?? 0
        let total = ScoringModel.standard.sourceWeights.values.reduce(0, +)
        #expect(abs((full.confidence - risk.confidence) - tavilyWeight * 2 / 3 / total) < 0.011)
        #expect(risk.sourceCoverage == 0.83)  // (3 + 1/3) of 4 configured sources, rounded
    }

    @Test("counting rules add per item up to their weight and escalate severity")
    func counting() {
        let few = RiskScorer().assess(Findings(
            company: Self.company(), courtCases: (0..<2).map { Self.defendantCase($0) }, sources: Self.allAnswered, asOf: Self.asOf))
        let many = RiskScorer().assess(Findings(
            company: Self.company(), courtCases: (0..<40).map { Self.defendantCase($0) }, sources: Self.allAnswered, asOf: Self.asOf))
        let fewMarker = few.markers.first { $0.code == "legal.defendant_cases" }
        let manyMarker = many.markers.first { $0.code == "legal.defendant_cases" }
        #expect(fewMarker?.contribution == 12)
        #expect(fewMarker?.severity == .medium)
        #expect(manyMarker?.contribution == 60)
        #expect(manyMarker?.severity == .high)
        // Old closed cases do not count.
        let old = RiskScorer().assess(Findings(
            company: Self.company(), courtCases: [.with { $0.role = .defendant; $0.date = "2015-01-01"; $0.status = .closed }],
            sources: Self.allAnswered, asOf: Self.asOf))
        #expect(old.markers.isEmpty)
    }

    @Test("markers come most severe first, then by contribution")
    func order() {
        let risk = RiskScorer().assess(Findings(
            company: Self.company(.bankrupt), courtCases: (0..<3).map { Self.defendantCase($0) },
            registryHits: [Self.hit(.taxDebt), Self.hit(.enforcement, amount: 10_000)], sources: Self.allAnswered, asOf: Self.asOf))
        let severities = risk.markers.map(\.severity.protoNumber)
        #expect(severities == severities.sorted(by: >))
        #expect(risk.markers.first?.code == "registration.bankrupt")
    }

    @Test("the model is checked when loaded: unknown rules, missing numbers and bad levels are refused")
    func modelValidation() throws {
        let yaml = ScoringModel.standardYAML
        #expect(try ScoringModel(yaml: yaml) == ScoringModel.standard)
        let refusals: [(String, String)] = [
            (yaml.replacingFirst("registration.liquidated:", with: "registration.liquidatd:"), "\"registration.liquidatd\" is not a rule"),
            (yaml.replacingFirst("params: {months: 12}", with: "params: {}"), "rules.registration.recently_registered.params.months is missing"),
            (yaml.replacingFirst("{medium: 25, high: 50, critical: 75}", with: "{medium: 60, high: 50, critical: 75}"), "0 < medium < high < critical"),
            (yaml.replacingFirst("severity: critical, floor: critical}", with: "severity: fatal, floor: critical}"), "severity \"fatal\""),
            ("version: 1\n", "not a scoring model"),
        ]
        for (text, message) in refusals {
            let error = #expect(throws: ScoringModelError.self) { try ScoringModel(yaml: text) }
            #expect(error?.description.contains(message) == true, "\(error?.description ?? "no error")")
        }
    }
}

extension String {
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
