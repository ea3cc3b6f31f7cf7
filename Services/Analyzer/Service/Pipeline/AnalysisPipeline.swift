package import Contracts
internal import ServiceKit

/// One analysis from request to report: collect, score, write the narrative, and — for a re-run — apply the
/// feedback and compare with the parent. It neither stores nor renders; the worker does that.
package struct AnalysisPipeline: Sendable {
    package let collector: Collector
    package let scorer: RiskScorer
    /// nil: the template narrative.
    package let narrator: LLMNarrator?
    /// The providers are the sandbox: reports are marked as test data.
    package let sandbox: Bool
    private let now: @Sendable () -> Int64

    package init(
        collector: Collector, scorer: RiskScorer = RiskScorer(), narrator: LLMNarrator?, sandbox: Bool = false,
        now: @escaping @Sendable () -> Int64 = { UnixTime.nowMilliseconds }
    ) {
        self.collector = collector
        self.scorer = scorer
        self.narrator = narrator
        self.sandbox = sandbox
        self.now = now
    }

    /// The report (without id and version: storage assigns them).
    package func run(
        _ request: CommonV1.AnalysisRequest, jobID: String, parent: CommonV1.Report?, progress: Collector.Progress = { _, _, _, _ in }
    ) async -> CommonV1.Report {
        let started = now()
        let asOf = UnixTime.isoDate(milliseconds: started)
        let collected = await collector.collect(request, asOf: asOf, progress: progress)
        await progress(.scoring, 75, "Оцениваем риск", nil)
        let risk = scorer.assess(collected.findings)
        await progress(.narrative, 85, "Пишем заключение", nil)
        let wantsLLM = request.options?.narrativeLlm ?? true
        let narrative: CommonV1.Narrative
        if wantsLLM, let narrator {
            narrative = await narrator.write(inn: request.inn, findings: collected.findings, risk: risk, feedbackComment: request.feedback?.comment ?? "")
        } else {
            narrative = TemplateNarrative.write(
                inn: request.inn, findings: collected.findings, risk: risk,
                fallbackReason: wantsLLM ? "LLM не настроена" : "LLM выключена в запросе")
        }
        var report = CommonV1.Report.with {
            $0.jobId = jobID
            $0.inn = request.inn
            $0.clientName = request.clientName
            $0.notes = request.notes
            $0.company = collected.findings.company
            $0.courtCases = collected.findings.courtCases
            $0.registryHits = collected.findings.registryHits
            $0.webMentions = collected.findings.webMentions
            $0.sources = collected.findings.sources
            $0.risk = risk
            $0.narrative = narrative
            $0.appliedFeedback = request.feedback
            $0.parentReportId = parent?.id ?? request.parentReportId
            $0.createdAtMs = now()
            $0.durationMs = now() - started
            $0.sandbox = sandbox
        }
        if let parent { report.diffFromParent = ReportDiffer.diff(from: parent, to: report) }
        return report
    }

}

/// Differences between two versions of a report: score, level, markers, category scores, source states.
package enum ReportDiffer {
    package static func diff(from base: CommonV1.Report, to report: CommonV1.Report) -> CommonV1.ReportDiff {
        let before = Dictionary((base.risk?.markers ?? []).map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary((report.risk?.markers ?? []).map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        var changes: [CommonV1.MarkerChange] = []
        for code in Set(before.keys).union(after.keys).sorted() {
            let (old, new) = (before[code], after[code])
            guard old?.contribution != new?.contribution || old?.severity != new?.severity else { continue }
            changes.append(.with {
                $0.kind = old == nil ? .added : new == nil ? .removed : .changed
                $0.code = code
                $0.title = new?.title ?? old?.title ?? code
                $0.contributionBefore = old?.contribution ?? 0
                $0.contributionAfter = new?.contribution ?? 0
                $0.severityBefore = old?.severity ?? .unspecified
                $0.severityAfter = new?.severity ?? .unspecified
            })
        }
        var deltas: [String: Double] = [:]
        let oldCategories = Dictionary((base.risk?.categories ?? []).map { ($0.category, $0.score) }, uniquingKeysWith: { first, _ in first })
        for category in report.risk?.categories ?? [] {
            let delta = category.score - (oldCategories[category.category] ?? 0)
            if delta != 0 { deltas[String(category.category.protoName.dropFirst("RISK_CATEGORY_".count)).lowercased()] = delta }
        }
        let oldSources = Dictionary(base.sources.map { ($0.source, $0.state) }, uniquingKeysWith: { first, _ in first })
        let sourceChanges = report.sources.compactMap { status -> String? in
            guard let old = oldSources[status.source], old != status.state else { return nil }
            func name(_ state: CommonV1.SourceStatus.State) -> String { String(state.protoName.dropFirst("STATE_".count)).lowercased() }
            return "\(String(status.source.protoName.dropFirst("SOURCE_".count)).lowercased()): \(name(old)) → \(name(status.state))"
        }
        return .with {
            $0.baseReportId = base.id
            $0.reportId = report.id
            $0.scoreBefore = base.risk?.score ?? 0
            $0.scoreAfter = report.risk?.score ?? 0
            $0.levelBefore = base.risk?.level ?? .unspecified
            $0.levelAfter = report.risk?.level ?? .unspecified
            $0.markerChanges = changes
            $0.categoryDeltas = deltas
            $0.sourceChanges = sourceChanges
        }
    }
}
