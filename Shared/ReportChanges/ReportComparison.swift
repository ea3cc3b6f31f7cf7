package import Contracts

/// What changed between two versions of an analysis: score and level, markers added, removed or changed,
/// category scores, sources whose state changed, and the change events monitoring reports (`ChangeDetection`).
/// Pure: storage compares any two reports with it, the analyzer a re-run with its parent.
package enum ReportComparison {
    package static func diff(base: CommonV1.Report, report: CommonV1.Report) -> CommonV1.ReportDiff {
        let before = base.risk ?? .init()
        let after = report.risk ?? .init()
        return .with { diff in
            diff.baseReportId = base.id
            diff.reportId = report.id
            diff.scoreBefore = before.score
            diff.scoreAfter = after.score
            diff.levelBefore = before.level
            diff.levelAfter = after.level
            diff.markerChanges = markerChanges(before.markers, after.markers)
            var deltas: [String: Double] = [:]
            let beforeCategories = Dictionary(before.categories.map { (ProtoLabel.of($0.category.protoName, prefix: "RISK_CATEGORY_"), $0.score) }, uniquingKeysWith: { a, _ in a })
            let afterCategories = Dictionary(after.categories.map { (ProtoLabel.of($0.category.protoName, prefix: "RISK_CATEGORY_"), $0.score) }, uniquingKeysWith: { a, _ in a })
            for category in Set(beforeCategories.keys).union(afterCategories.keys) {
                let delta = (afterCategories[category] ?? 0) - (beforeCategories[category] ?? 0)
                if delta != 0 { deltas[category] = delta }
            }
            diff.categoryDeltas = deltas
            diff.sourceChanges = sourceChanges(base.sources, report.sources)
            diff.changes = ChangeDetection.events(from: base, to: report)
            diff.changesCompared = true
        }
    }

    private static func markerChanges(_ before: [CommonV1.Marker], _ after: [CommonV1.Marker]) -> [CommonV1.MarkerChange] {
        let old = Dictionary(before.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        let new = Dictionary(after.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        var changes: [CommonV1.MarkerChange] = []
        for code in Set(old.keys).union(new.keys).sorted() {
            switch (old[code], new[code]) {
            case (nil, let added?):
                changes.append(.with { $0.kind = .added; $0.code = code; $0.title = added.title; $0.contributionAfter = added.contribution; $0.severityAfter = added.severity })
            case (let removed?, nil):
                changes.append(.with { $0.kind = .removed; $0.code = code; $0.title = removed.title; $0.contributionBefore = removed.contribution; $0.severityBefore = removed.severity })
            case (let was?, let now?) where was.contribution != now.contribution || was.severity != now.severity:
                changes.append(.with {
                    $0.kind = .changed
                    $0.code = code
                    $0.title = now.title
                    $0.contributionBefore = was.contribution
                    $0.contributionAfter = now.contribution
                    $0.severityBefore = was.severity
                    $0.severityAfter = now.severity
                })
            default:
                break
            }
        }
        return changes
    }

    /// "casebook: error → ok" for each source whose state differs.
    private static func sourceChanges(_ before: [CommonV1.SourceStatus], _ after: [CommonV1.SourceStatus]) -> [String] {
        let old = Dictionary(before.map { ($0.source, $0.state) }, uniquingKeysWith: { a, _ in a })
        let new = Dictionary(after.map { ($0.source, $0.state) }, uniquingKeysWith: { a, _ in a })
        return Set(old.keys).union(new.keys).sorted { $0.protoNumber < $1.protoNumber }.compactMap { source in
            let (was, now) = (old[source], new[source])
            guard was != now else { return nil }
            let state = { (state: CommonV1.SourceStatus.State?) in state.map { ProtoLabel.of($0.protoName, prefix: "STATE_") } ?? "absent" }
            return "\(ProtoLabel.of(source.protoName, prefix: "SOURCE_")): \(state(was)) → \(state(now))"
        }
    }
}
