package import Contracts
internal import Yams

/// The scoring model: category weights, level thresholds, how much each source counts towards confidence, and
/// the weight and severity of every marker rule. It is data (YAML), versioned, so a change of weights is a new
/// model version and never a code change; `docs/scoring.md` explains each rule.
package struct ScoringModel: Sendable, Equatable {
    package var version: String
    /// Weight of each category in the total; they need not sum to 1 (the total is normalised).
    package var categoryWeights: [CommonV1.RiskCategory: Double]
    /// Lowest score of medium, high and critical.
    package var thresholds: Thresholds
    /// How much each source adds to confidence when it answers.
    package var sourceWeights: [CommonV1.Source: Double]
    package var rules: [String: Rule]

    package struct Thresholds: Sendable, Equatable, Decodable {
        package var medium: Double
        package var high: Double
        package var critical: Double
    }

    /// One marker rule's settings. `weight` is the points the marker adds to its category (0–100); rules that
    /// count things use `per_item` up to `weight`. `params` hold the rule's own numbers (months, roubles).
    package struct Rule: Sendable, Equatable, Decodable {
        package var weight: Double
        package var severity: CommonV1.Severity
        package var floor: CommonV1.RiskLevel?
        package var perItem: Double?
        package var params: [String: Double]

        enum CodingKeys: String, CodingKey { case weight, severity, floor, perItem = "per_item", params }

        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            weight = try container.decode(Double.self, forKey: .weight)
            let severityName = try container.decode(String.self, forKey: .severity)
            guard let severity = ScoringModel.severities[severityName] else {
                throw ScoringModelError("severity \"\(severityName)\" is not one of \(ScoringModel.severities.keys.sorted())")
            }
            self.severity = severity
            if let floorName = try container.decodeIfPresent(String.self, forKey: .floor) {
                guard let floor = ScoringModel.levels[floorName] else {
                    throw ScoringModelError("floor \"\(floorName)\" is not one of \(ScoringModel.levels.keys.sorted())")
                }
                self.floor = floor
            }
            perItem = try container.decodeIfPresent(Double.self, forKey: .perItem)
            params = try container.decodeIfPresent([String: Double].self, forKey: .params) ?? [:]
        }

        /// A number the rule needs; the model's check makes sure it is there.
        package func param(_ name: String) -> Double { params[name] ?? 0 }
    }

    static let severities: [String: CommonV1.Severity] = ["info": .info, "low": .low, "medium": .medium, "high": .high, "critical": .critical]
    static let levels: [String: CommonV1.RiskLevel] = ["low": .low, "medium": .medium, "high": .high, "critical": .critical]
    static let categories: [String: CommonV1.RiskCategory] = [
        "legal": .legal, "financial": .financial, "reputation": .reputation, "regulatory": .regulatory, "registration": .registration,
    ]
    static let sources: [String: CommonV1.Source] = [
        "dadata": .dadata, "casebook": .casebook, "infosphere": .infosphere, "tavily": .tavily, "perplexity": .perplexity,
    ]

    /// The model that ships with the analyzer.
    package static let standard: ScoringModel = {
        do { return try ScoringModel(yaml: standardYAML) } catch { fatalError("the built-in scoring model is invalid: \(error)") }
    }()

    package init(yaml: String) throws {
        struct File: Decodable {
            var version: String
            var categories: [String: Double]
            var levels: Thresholds
            var sources: [String: Double]
            var rules: [String: Rule]
        }
        let file: File
        do {
            file = try YAMLDecoder().decode(File.self, from: yaml)
        } catch let error as ScoringModelError {
            throw error
        } catch {
            throw ScoringModelError("not a scoring model: \(error)")
        }
        version = file.version
        categoryWeights = try Dictionary(uniqueKeysWithValues: file.categories.map { name, weight in
            guard let category = Self.categories[name] else { throw ScoringModelError("unknown category \"\(name)\"") }
            guard weight >= 0 else { throw ScoringModelError("category \(name): weight must not be negative") }
            return (category, weight)
        })
        thresholds = file.levels
        sourceWeights = try Dictionary(uniqueKeysWithValues: file.sources.map { name, weight in
            guard let source = Self.sources[name] else { throw ScoringModelError("unknown source \"\(name)\"") }
            return (source, weight)
        })
        rules = file.rules
        try check()
    }

    /// Every rule the code evaluates is configured with the numbers it needs, and nothing else is.
    private func check() throws {
        guard 0 < thresholds.medium, thresholds.medium < thresholds.high, thresholds.high < thresholds.critical, thresholds.critical <= 100 else {
            throw ScoringModelError("levels: need 0 < medium < high < critical ≤ 100")
        }
        guard Set(categoryWeights.keys) == Set(Self.categories.values) else {
            throw ScoringModelError("categories: give a weight for each of \(Self.categories.keys.sorted())")
        }
        for code in rules.keys where MarkerRules.all[code] == nil {
            throw ScoringModelError("rules: \"\(code)\" is not a rule the analyzer knows (known: \(MarkerRules.all.keys.sorted().joined(separator: ", ")))")
        }
        for (code, definition) in MarkerRules.all {
            guard let rule = rules[code] else { throw ScoringModelError("rules: \"\(code)\" is missing") }
            guard (0...100).contains(rule.weight) else { throw ScoringModelError("rules.\(code).weight: 0–100") }
            for param in definition.params where rule.params[param] == nil {
                throw ScoringModelError("rules.\(code).params.\(param) is missing")
            }
            if definition.counts, rule.perItem == nil { throw ScoringModelError("rules.\(code).per_item is missing") }
        }
    }

    /// The level of a score, before floors.
    package func level(score: Double) -> CommonV1.RiskLevel {
        score >= thresholds.critical ? .critical : score >= thresholds.high ? .high : score >= thresholds.medium ? .medium : .low
    }
}

package struct ScoringModelError: Error, CustomStringConvertible {
    package var description: String
    init(_ description: String) { self.description = "scoring model: " + description }
}
