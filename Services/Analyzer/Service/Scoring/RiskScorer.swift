package import Contracts

/// Scores findings with a model: fires the marker rules, sums their contributions per category (capped at
/// 100), weights the categories that have data into a 0–100 total, maps it to a level, applies the floors of
/// critical markers, and derives confidence from which sources answered. Deterministic: the same findings and
/// model give the same assessment. When the registries gave nothing it claims no level (`insufficient_data`)
/// and no confidence. A category whose source failed or answered partly has no data unless a marker fired:
/// what the source would have said is unknown, so "no markers" there is not "clean".
package struct RiskScorer: Sendable {
    package let model: ScoringModel

    package init(model: ScoringModel = .standard) { self.model = model }

    /// Sources each category's data comes from.
    static let categorySources: [CommonV1.RiskCategory: [CommonV1.Source]] = [
        .legal: [.casebook],
        .financial: [.dadata, .infosphere],
        .reputation: [.tavily, .perplexity],
        .regulatory: [.infosphere, .dadata],
        .registration: [.dadata],
    ]

    package func assess(_ findings: Findings) -> CommonV1.RiskAssessment {
        let markers = self.markers(findings)
        var categories: [CommonV1.CategoryScore] = []
        var weighted = 0.0, weightWithData = 0.0
        for category in [CommonV1.RiskCategory.legal, .financial, .reputation, .regulatory, .registration] {
            let own = markers.filter { $0.category == category }
            let asked = Self.categorySources[category, default: []].filter { findings.asked($0) }
            let missing = asked.filter { findings.missing($0) }
            let hasData = !own.isEmpty || findings.identified && !asked.isEmpty && missing.isEmpty
            let score = min(100, own.map(\.contribution).reduce(0, +))
            let weight = model.categoryWeights[category] ?? 0
            categories.append(.with {
                $0.category = category
                $0.score = hasData ? score : 0
                $0.weight = weight
                $0.markerCodes = own.map(\.code)
                $0.hasData = hasData
                $0.missingSources = missing
            })
            if hasData {
                weighted += weight * score
                weightWithData += weight
            }
        }
        let total = weightWithData > 0 ? (weighted / weightWithData * 10).rounded() / 10 : 0
        let (confidence, coverage) = self.confidence(findings)
        return .with {
            $0.modelVersion = model.version
            $0.categories = categories
            $0.markers = markers
            $0.confidence = confidence
            $0.sourceCoverage = coverage
            guard findings.identified else {
                // Nothing from the registries: no score is claimed, whatever the courts and the web said.
                $0.level = .insufficientData
                $0.score = 0
                return
            }
            $0.score = total
            let unfloored = model.level(score: total)
            let floor = markers.compactMap { $0.levelFloor == .unspecified ? nil : $0.levelFloor }.max { $0.protoNumber < $1.protoNumber }
            if let floor, floor.protoNumber > unfloored.protoNumber {
                $0.level = floor
                $0.unflooredLevel = unfloored
            } else {
                $0.level = unfloored
            }
        }
    }

    /// Fired markers, most severe first, then by contribution, then by code.
    func markers(_ findings: Findings) -> [CommonV1.Marker] {
        MarkerRules.all.compactMap { code, definition -> CommonV1.Marker? in
            guard let rule = model.rules[code], let trigger = definition.evaluate(findings, rule) else { return nil }
            let contribution = definition.counts ? min(rule.weight, (rule.perItem ?? 0) * Double(trigger.count)) : rule.weight
            return .with {
                $0.code = code
                $0.category = definition.category
                $0.severity = trigger.severity.map { $0.protoNumber > rule.severity.protoNumber ? $0 : rule.severity } ?? rule.severity
                $0.title = definition.title
                $0.description = definition.description
                $0.contribution = contribution
                $0.evidence = trigger.evidence
                if let floor = rule.floor { $0.levelFloor = floor }
            }
        }.sorted { a, b in
            if a.severity.protoNumber != b.severity.protoNumber { return a.severity.protoNumber > b.severity.protoNumber }
            if a.contribution != b.contribution { return a.contribution > b.contribution }
            return a.code < b.code
        }
    }

    /// Confidence: the model's weight of the sources that answered (a partial answer by its share of queries)
    /// over the weight of all sources; none for a subject no registry knows. Coverage: the share of configured
    /// sources (not "not configured" or "disabled") that answered, where a "not found" about an unidentified
    /// subject covers nothing.
    func confidence(_ findings: Findings) -> (confidence: Double, coverage: Double) {
        let identified = findings.identified
        func share(_ source: CommonV1.Source) -> Double {
            if !identified, findings.sources.contains(where: { $0.source == source && $0.state == .notFound }) { return 0 }
            return findings.answeredShare(source)
        }
        let total = model.sourceWeights.values.reduce(0, +)
        let answered = identified ? model.sourceWeights.map { share($0.key) * $0.value }.reduce(0, +) : 0
        let configured = findings.sources.filter { findings.asked($0.source) && $0.source != .llm }
        let coverage = configured.isEmpty ? 0 : configured.map { share($0.source) }.reduce(0, +) / Double(configured.count)
        return (total > 0 ? (answered / total * 100).rounded() / 100 : 0, (coverage * 100).rounded() / 100)
    }
}
