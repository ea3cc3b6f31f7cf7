internal import Contracts
internal import Foundation
internal import ProtoJSON

/// Every MCP tool, each over one gateway operation. Argument names are the request's own field names, so an
/// argument that does not fit is refused by the same transcoder REST uses, naming the field.
enum MCPTools {
    private typealias Analyses = GatewayV1.Analyses.Method
    private typealias Reports = GatewayV1.Reports.Method
    private typealias Threads = GatewayV1.Threads.Method
    private typealias Sources = GatewayV1.Sources.Method
    private typealias Admin = GatewayV1.Admin.Method

    /// `analyze_company` waits for the job through WatchJob; these are its other operations.
    static let watchJob = GatewayOperation.of(Analyses.WatchJob.self)
    static let getJob = GatewayOperation.of(Analyses.GetJob.self)
    static let getReport = GatewayOperation.of(Reports.GetReport.self)
    static let downloadReport = GatewayOperation.of(Reports.DownloadReport.self)

    static let all: [MCPTool] = [
        MCPTool(
            name: "analyze_company", title: "Проверить компанию / Analyse a company",
            description: """
                Run a due-diligence analysis of a Russian company by INN: registry card (DaData), arbitration cases \
                (Casebook), government registries (InfoSphere), web mentions (Tavily, Perplexity), an explainable \
                risk score and a narrative. Waits for the report (progress notifications follow the stages) unless \
                wait is false, in which case it returns the queued job to poll with get_job. Takes 5–60 s.
                """,
            inputSchema: Schema.object([
                ("inn", Schema.inn),
                ("client_name", Schema.string("Как клиент называет компанию (shown in the report header).")),
                ("notes", Schema.string("Заметки аналитика: why the check is done (shown in the report header).")),
                ("wait", Schema.boolean("Wait for the report (default true); false returns the job at once.")),
                ("sources", Schema.array("Only these sources (default all).", of: Schema.string("source", enumeration: Schema.sources))),
                ("force_refresh", Schema.boolean("Ask every provider again instead of using cached answers.")),
                ("idempotency_key", Schema.string("Repeat-safe key: the same key returns the same job.")),
            ], required: ["inn"]),
            operation: .of(Analyses.Submit.self), readOnly: false,
            request: { arguments in
                var analysis: [(String, JSONValue)] = arguments.members.filter { ["inn", "client_name", "notes"].contains($0.0) }
                var options: [(String, JSONValue)] = []
                if let sources = arguments["sources"] { options.append(("sources", sources)) }
                if let refresh = arguments["force_refresh"] { options.append(("force_refresh", refresh)) }
                if !options.isEmpty { analysis.append(("options", .object(options))) }
                var request: [(String, JSONValue)] = [("request", .object(analysis))]
                if let key = arguments["idempotency_key"] { request.append(("idempotency_key", key)) }
                return .object(request)
            },
            summary: { answer in
                guard answer["report"] != nil else { return "Задание \(answer["job"]?["id"]?.stringValue ?? "?") поставлено в очередь / job queued" }
                return reportSummary(answer)
            },
            extraOutput: [getReport.response]),
        MCPTool(
            name: "get_job", title: "Задание / Job",
            description: "The state of an analysis job: queued, running (stage and percent), succeeded (with report_id), failed (with the error) or cancelled.",
            inputSchema: Schema.object([("job_id", Schema.string("The job id from analyze_company."))], required: ["job_id"]),
            operation: getJob, readOnly: true, request: { $0 },
            summary: { answer in
                let job = answer["job"]
                return "Задание \(job?["id"]?.stringValue ?? "?"): \(job?["state"]?.stringValue ?? "?")"
                    + (job?["report_id"]?.stringValue.map { $0.isEmpty ? "" : ", отчёт \($0)" } ?? "")
            }),
        MCPTool(
            name: "cancel_job", title: "Отменить задание / Cancel a job",
            description: "Cancel a queued or running analysis job. A running job stops at its next heartbeat.",
            inputSchema: Schema.object([
                ("job_id", Schema.string("The job id.")), ("reason", Schema.string("Why (kept with the job).")),
            ], required: ["job_id"]),
            operation: .of(Analyses.CancelJob.self), readOnly: false, request: { $0 },
            summary: { answer in "Задание \(answer["job"]?["id"]?.stringValue ?? "?"): \(answer["job"]?["state"]?.stringValue ?? "отмена запрошена")" }),
        MCPTool(
            name: "get_report", title: "Отчёт / Report",
            description: """
                A stored report by id: risk score (0–100), level, confidence, every marker with its evidence and links, \
                the state of each source (ok, partial, not_found, timeout, error, circuit_open …: a source that did not \
                answer is unknown, never clean), the company card, court cases, registry hits, web mentions and the narrative.
                """,
            inputSchema: Schema.object([("id", Schema.string("The report id."))], required: ["id"]),
            operation: getReport, readOnly: true, request: { $0 }, summary: reportSummary),
        MCPTool(
            name: "get_latest_report", title: "Последний отчёт по ИНН / Latest report of an INN",
            description: "The newest report about a company, by INN; NOT_FOUND when it was never analysed (then use analyze_company).",
            inputSchema: Schema.object([("inn", Schema.inn)], required: ["inn"]),
            operation: getReport, readOnly: true, request: { $0 }, summary: reportSummary),
        MCPTool(
            name: "list_reports", title: "Отчёты / Reports",
            description: "Reports newest first, filtered by INN, name, level, score range or dates; pages with page_size and cursor.",
            inputSchema: Schema.object([
                ("inn", Schema.inn),
                ("name_contains", Schema.string("Words of the company's name, any case.")),
                ("levels", Schema.array("Risk levels.", of: Schema.string("level", enumeration: ["low", "medium", "high", "critical", "insufficient_data"]))),
                ("min_score", Schema.integer("Lowest score, 0–100.", minimum: 0, maximum: 100)),
                ("max_score", Schema.integer("Highest score, 0–100.", minimum: 0, maximum: 100)),
                ("latest_only", Schema.boolean("Only the newest version of each company.")),
                ("page_size", Schema.integer("Reports per page (default 20).", minimum: 1, maximum: 200)),
                ("cursor", Schema.string("The next_cursor of the previous page.")),
            ]),
            operation: .of(Reports.ListReports.self), readOnly: true,
            request: { arguments in
                .object([
                    ("filter", arguments.picking(["inn": "inn", "name_contains": "name_contains", "levels": "levels", "min_score": "min_score", "max_score": "max_score", "latest_only": "latest_only"])),
                    ("page", arguments.picking(["page_size": "page_size", "cursor": "cursor"])),
                ])
            },
            summary: { answer in
                if case .array(let reports)? = answer["reports"] { return "Отчётов: \(reports.count) / reports: \(reports.count)" }
                return "Отчётов нет / no reports"
            }),
        MCPTool(
            name: "compare_reports", title: "Сравнить отчёты / Compare reports",
            description: "Compare 2–10 reports against the first: what changed about the company (status, new court cases as defendant, registry records, head, founders, with evidence; sources that could not be compared are named), score and level changes, markers that appeared or went away, source changes.",
            inputSchema: Schema.object([
                ("report_ids", Schema.array("Report ids, the baseline first.", of: Schema.string("report id"), minItems: 2, maxItems: 10)),
            ], required: ["report_ids"]),
            operation: .of(Reports.CompareReports.self), readOnly: true, request: { $0 },
            summary: compareSummary),
        MCPTool(
            name: "search_threads", title: "Поиск / Search",
            description: "Full-text search over analysed companies: names, INNs, notes and summary words (Cyrillic, any case, prefixes).",
            inputSchema: Schema.object([
                ("query", Schema.string("Words to find, e.g. \"ромашка\" or an INN.")),
                ("page_size", Schema.integer("Threads per page.", minimum: 1, maximum: 200)),
            ], required: ["query"]),
            operation: .of(Threads.SearchThreads.self), readOnly: true,
            request: { arguments in
                var request: [(String, JSONValue)] = arguments.members.filter { $0.0 == "query" }
                if let size = arguments["page_size"] { request.append(("page", .object([("page_size", size)]))) }
                return .object(request)
            },
            summary: { answer in
                if case .array(let threads)? = answer["threads"] { return "Найдено: \(threads.count) / found: \(threads.count)" }
                return "Ничего не найдено / nothing found"
            }),
        MCPTool(
            name: "get_thread", title: "История компании / Company thread",
            description: "A company's thread: every report version (newest last) with its feedback. Give one of id, inn or ogrn.",
            inputSchema: Schema.object([
                ("id", Schema.string("The thread id.")), ("inn", Schema.inn),
                ("ogrn", Schema.string("ОГРН (13 digits) or ОГРНИП (15 digits).", pattern: "^([0-9]{13}|[0-9]{15})$")),
            ]),
            operation: .of(Threads.GetThread.self), readOnly: true, request: { $0 },
            summary: { answer in "Тред \(answer["thread"]?["id"]?.stringValue ?? "?")" }),
        MCPTool(
            name: "submit_feedback", title: "Отзыв на отчёт / Feedback",
            description: """
                Feedback on a report: a rating, a comment, focus areas and sources to refresh. With rerun true a new \
                version is queued with the feedback applied (its job id is in the answer).
                """,
            inputSchema: Schema.object([
                ("report_id", Schema.string("The report the feedback is about.")),
                ("rating", Schema.string("How good the report was.", enumeration: ["accurate", "partially_accurate", "inaccurate"])),
                ("comment", Schema.string("What is wrong or missing.")),
                ("focus_areas", Schema.array("What the rerun should look at, e.g. \"суды\".", of: Schema.string("area"))),
                ("refresh_sources", Schema.array("Sources to ask again.", of: Schema.string("source", enumeration: Schema.sources))),
                ("rerun", Schema.boolean("Queue a new version with this feedback applied.")),
            ], required: ["report_id"]),
            operation: .of(Threads.SubmitFeedback.self), readOnly: false,
            request: { .object([("feedback", $0)]) },
            summary: { answer in
                let job = answer["feedback"]?["rerun_job_id"]?.stringValue ?? ""
                return job.isEmpty ? "Отзыв сохранён / feedback saved" : "Отзыв сохранён, перепроверка \(job) / rerun queued"
            }),
        MCPTool(
            name: "lookup_source", title: "Спросить источник / Ask one provider",
            description: "Ask one provider directly about an INN (or OGRN for dadata) and get its normalised answer and state, without scoring.",
            inputSchema: Schema.object([
                ("source", Schema.string("The provider.", enumeration: Schema.sources)),
                ("inn", Schema.inn),
                ("ogrn", Schema.string("ОГРН/ОГРНИП, for dadata instead of inn.", pattern: "^([0-9]{13}|[0-9]{15})$")),
                ("refresh", Schema.boolean("Skip the cache.")),
            ], required: ["source"]),
            operation: .of(Sources.Lookup.self), readOnly: true, request: { $0 },
            summary: { answer in "Источник: \(answer["status"]?["state"]?.stringValue ?? "?")" }),
        MCPTool(
            name: "describe_scoring_model", title: "Модель оценки / Scoring model",
            description: "The scoring model: categories and weights, every marker rule with its weight and severity, level thresholds, confidence shares.",
            inputSchema: Schema.object([]),
            operation: .of(Sources.DescribeScoringModel.self), readOnly: true, request: { $0 },
            summary: { answer in "Модель \(answer["version"]?.stringValue ?? answer["model"]?["version"]?.stringValue ?? "")" }),
        MCPTool(
            name: "provider_status", title: "Состояние источников / Provider status",
            description: "Each provider's circuit breaker: closed, open (since when) or half-open, with recent failures.",
            inputSchema: Schema.object([]),
            operation: .of(Admin.ProviderStatus.self), readOnly: true, request: { $0 },
            summary: { _ in "Состояние источников / provider status" }),
        MCPTool(
            name: "list_dead_letters", title: "Мёртвые письма / Dead letters",
            description: "Jobs that failed more often than the delivery limit allows, with their reasons (admin).",
            inputSchema: Schema.object([]),
            operation: .of(Admin.ListDeadLetters.self), readOnly: true, request: { $0 },
            summary: { _ in "Мёртвые письма / dead letters" }),
        MCPTool(
            name: "replay_dead_letters", title: "Повторить мёртвые письма / Replay dead letters",
            description: "Queue dead-lettered jobs again (admin).",
            inputSchema: Schema.object([("job_ids", Schema.array("The jobs to replay.", of: Schema.string("job id"), minItems: 1))], required: ["job_ids"]),
            operation: .of(Admin.ReplayDeadLetters.self), readOnly: false, request: { $0 },
            summary: { _ in "Поставлено в очередь снова / replayed" }),
        MCPTool(
            name: "queue_depth", title: "Очередь / Queue",
            description: "Jobs by state and the age of the oldest queued job.",
            inputSchema: Schema.object([]),
            operation: .of(Admin.QueueDepth.self), readOnly: true, request: { $0 },
            summary: { _ in "Очередь / queue depth" }),
    ]

    /// Each diff's change events, most severe first, so an agent reads what changed without parsing the JSON.
    static func compareSummary(_ answer: JSONValue) -> String {
        guard case .array(let diffs)? = answer["diffs"], !diffs.isEmpty else { return "Сравнение готово / comparison ready" }
        return diffs.map { diff in
            let head = "Отчёт \(diff["report_id"]?.stringValue ?? "?") против \(diff["base_report_id"]?.stringValue ?? "?")"
            guard diff["changes_compared"] == .bool(true) else { return "\(head): изменения в данных о компании не сравнивались (старый отчёт)" }
            guard case .array(let changes)? = diff["changes"], !changes.isEmpty else { return "\(head): изменений в данных о компании нет" }
            let lines = changes.prefix(12).map { change in
                let severity = change["kind"]?.stringValue == "KIND_SOURCE" ? "не сравнивалось" : ProtoLabel.of(change["severity"]?.stringValue ?? "", prefix: "SEVERITY_")
                return "- [\(severity)] \(change["summary"]?.stringValue ?? "")"
            }
            let more = changes.count > 12 ? "\n- … ещё \(changes.count - 12)" : ""
            return "\(head), изменения (\(changes.count)):\n" + lines.joined(separator: "\n") + more
        }.joined(separator: "\n")
    }

    static func levelName(_ level: String?) -> String {
        switch level {
        case "RISK_LEVEL_LOW": "низкий риск (low)"
        case "RISK_LEVEL_MEDIUM": "средний риск (medium)"
        case "RISK_LEVEL_HIGH": "высокий риск (high)"
        case "RISK_LEVEL_CRITICAL": "критический риск (critical)"
        case "RISK_LEVEL_INSUFFICIENT_DATA": "недостаточно данных для оценки (insufficient_data): компанию не удалось оценить"
        default: level ?? "?"
        }
    }

    /// A job stage in Russian, for progress notifications.
    static func stageName(_ stage: String?) -> String {
        switch stage {
        case "STAGE_QUEUED": "в очереди"
        case "STAGE_STARTED": "начато"
        case "STAGE_REGISTRIES": "реестры"
        case "STAGE_WEB_SEARCH": "поиск в интернете"
        case "STAGE_SCORING": "оценка риска"
        case "STAGE_NARRATIVE": "заключение"
        case "STAGE_RENDERING": "отчёт PDF"
        case "STAGE_STORING": "сохранение"
        case "STAGE_COMPLETED": "готово"
        case "STAGE_FAILED": "ошибка"
        case "STAGE_CANCELLED": "отменено"
        case "STAGE_RETRYING": "повтор"
        default: stage ?? "?"
        }
    }

    /// The text of a report answer: company, score, level, confidence and any source that did not fully answer.
    static func reportSummary(_ answer: JSONValue) -> String {
        let report = answer["report"]
        let risk = report?["risk"]
        let name = report?["company"]?["short_name"]?.stringValue ?? report?["inn"]?.stringValue ?? "?"
        var text = "\(name): \(levelName(risk?["level"]?.stringValue))"
        if let score = risk?["score"]?.doubleValue { text += ", балл \(Int(score.rounded()))" }
        if let confidence = risk?["confidence"]?.doubleValue { text += ", достоверность \(Int((confidence * 100).rounded())) %" }
        if case .array(let sources)? = report?["sources"] {
            let missing = sources.filter { !["STATE_OK", "STATE_CACHED", "STATE_DISABLED"].contains($0["state"]?.stringValue ?? "") }
            if !missing.isEmpty {
                text += ". Не проверено полностью, не считать чистым / not fully checked: " + missing.map { status in
                    let source = (status["source"]?.stringValue ?? "?").replacingOccurrences(of: "SOURCE_", with: "").lowercased()
                    let state = (status["state"]?.stringValue ?? "?").replacingOccurrences(of: "STATE_", with: "").lowercased()
                    let reason = status["reason"]?.stringValue ?? ""
                    return "\(source) — \(state)\(reason.isEmpty ? "" : " (\(reason))")"
                }.joined(separator: "; ")
            }
        }
        return text + "."
    }
}
