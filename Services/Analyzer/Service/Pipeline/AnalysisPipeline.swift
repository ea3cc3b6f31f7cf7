package import Contracts
internal import ReportChanges
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
        if let parent { report.diffFromParent = ReportComparison.diff(base: parent, report: report) }
        return report
    }

}
