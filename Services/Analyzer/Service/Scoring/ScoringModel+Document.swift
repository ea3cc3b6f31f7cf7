internal import Contracts

extension ScoringModel {
    /// docs/scoring.md: every marker with its rule, weight, severity and floor, generated from the model and the
    /// rules so the document cannot drift from the code (a test compares them).
    package var markdown: String {
        func percent(_ value: Double) -> String { "\(Int((value * 100).rounded())) %" }
        func name(_ value: String, _ prefix: String) -> String { String(value.dropFirst(prefix.count)).lowercased() }
        var out = """
            # Scoring model \(version)

            Generated from `Services/Analyzer/Service/Scoring` (the model YAML and the marker rules); a test keeps this
            file in step. Regenerate with `CLA_UPDATE_DOCS=1 swift test --filter ScoringDocumentTests`.

            ## How a score is made

            1. Each marker rule looks at the findings (company card, court cases, registry hits, web mentions) and,
               when it fires, adds its **weight** in points to its category, with the facts it fired on as evidence.
               Counting rules add **per item** for each thing found, up to their weight.
            2. A category's score is the sum of its markers, capped at 100. A category none of whose sources answered
               has **no data**: it shows as "нет данных", not as zero, and is left out of the total.
            3. The total (0–100) is the weighted mean of the categories that have data.
            4. The level follows the thresholds; a marker with a **floor** raises the level to at least the floor
               (the level before is kept as `unfloored_level`).
            5. When the registries gave nothing (no company card and no registry answer) the level is
               `insufficient_data` and no score is claimed.
            6. Confidence is the share of the source weights below whose sources answered (ok, cached or a definite
               "not found"); source coverage is the share of configured sources that answered.

            The LLM never changes any of this; it only writes the narrative from the same facts.

            ## Levels

            | level | score from |
            |---|---|
            | low | 0 |
            | medium | \(Int(thresholds.medium)) |
            | high | \(Int(thresholds.high)) |
            | critical | \(Int(thresholds.critical)) |

            ## Categories

            | category | weight | data comes from |
            |---|---|---|

            """
        let categoryOrder: [CommonV1.RiskCategory] = [.legal, .financial, .reputation, .regulatory, .registration]
        for category in categoryOrder {
            let sources = RiskScorer.categorySources[category, default: []].map { name($0.protoName, "SOURCE_") }.joined(separator: ", ")
            out += "| \(name(category.protoName, "RISK_CATEGORY_")) | \(percent(categoryWeights[category] ?? 0)) | \(sources) |\n"
        }
        out += "\n## Sources and confidence\n\n| source | share of confidence |\n|---|---|\n"
        for source in [CommonV1.Source.dadata, .casebook, .infosphere, .tavily, .perplexity] {
            out += "| \(name(source.protoName, "SOURCE_")) | \(percent(sourceWeights[source] ?? 0)) |\n"
        }
        out += "\n## Markers\n"
        for category in categoryOrder {
            out += "\n### \(name(category.protoName, "RISK_CATEGORY_"))\n\n| code | title | fires when | weight | severity | floor |\n|---|---|---|---|---|---|\n"
            let codes = MarkerRules.all.filter { $0.value.category == category }.keys.sorted()
            for code in codes {
                guard let definition = MarkerRules.all[code], let rule = rules[code] else { continue }
                var fires = definition.rule
                for (param, value) in rule.params.sorted(by: { $0.key < $1.key }) {
                    fires = fires.replacing("params.\(param)", with: Self.number(value))
                }
                let weight = rule.perItem.map { "\(Self.number($0)) per item, up to \(Self.number(rule.weight))" } ?? Self.number(rule.weight)
                let floor = rule.floor.map { name($0.protoName, "RISK_LEVEL_") } ?? "—"
                out += "| `\(code)` | \(definition.title) | \(fires) | \(weight) | \(name(rule.severity.protoName, "SEVERITY_")) | \(floor) |\n"
            }
        }
        out += "\nCounting rules raise their severity to high past the count or sum in their rule.\n"
        return out
    }

    private static func number(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }
}
