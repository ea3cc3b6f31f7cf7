internal import ArgumentParser
internal import Contracts
internal import Foundation
internal import ProtoJSON

struct Analyze: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Analyse a company by INN, following its progress.")

    @OptionGroup var connection: Connection
    @Argument(help: "The INN (10 or 12 digits), or the OGRN (13) or OGRNIP (15).") var inn: String
    @Option(help: "Your name for the company.") var name = ""
    @Option(help: "Notes for the analysis (what to look at).") var notes = ""
    @Option(help: "Save the PDF here when done.") var pdf: String?
    @Flag(help: "Submit and print the job without waiting.") var noWait = false
    @Flag(help: "A new job even if an identical analysis is already queued or running (otherwise that one is followed).")
    var force = false

    func run() async throws {
        try await CLAKit.run {
            let client = try connection.client()
            let submitted = try await client.unary(GatewayV1.Analyses.Method.Submit.self, .with {
                $0.request = .with {
                    // 13 or 15 digits: an OGRN, which the gateway resolves to the INN.
                    if [13, 15].contains(inn.count) { $0.ogrn = inn } else { $0.inn = inn }
                    $0.clientName = name
                    $0.notes = notes
                }
                $0.force = force
            })
            let job = submitted.job ?? CommonV1.Job()
            if noWait { return try connection.print(submitted) { "job \(job.id) \(job.state.label)" } }
            let interactive = isatty(1) == 1 && !connection.json
            try await client.stream(GatewayV1.Analyses.Method.WatchJob.self, .with { $0.jobId = job.id }) { event in
                guard interactive else { return }
                let filled = Int(event.percent) * 30 / 100
                let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: 30 - filled)
                let line = "\r[\(bar)] \(String(format: "%3d", event.percent))%  \(event.message.prefix(50).padding(toLength: 50, withPad: " ", startingAt: 0))"
                FileHandle.standardOutput.write(Data(line.utf8))
            }
            if interactive { print() }
            let done = try await client.unary(GatewayV1.Analyses.Method.GetJob.self, .with { $0.jobId = job.id }).job ?? CommonV1.Job()
            guard done.state == .succeeded else {
                FileHandle.standardError.write(Data("cla: the analysis \(done.state.label): \(done.error)\n".utf8))
                throw ExitCode.analysisFailed
            }
            let report = try await client.unary(GatewayV1.Reports.Method.GetReport.self, .with { $0.key = .id(done.reportId) }).report
                ?? CommonV1.Report()
            if let pdf { try await download(client, reportID: report.id, to: pdf) }
            try connection.print(report) { describe(report) + (pdf.map { "\n\nPDF: \($0)" } ?? "") }
        }
    }
}

func download(_ client: GatewayClient, reportID: String, to path: String) async throws {
    var data = Data()
    try await client.stream(GatewayV1.Reports.Method.DownloadReport.self, .with { $0.reportId = reportID }) { chunk in
        data.append(contentsOf: chunk.data)
    }
    try save(data, to: path, what: "PDF")
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a job.")
    @OptionGroup var connection: Connection
    @Argument(help: "The job id.") var jobID: String

    func run() async throws {
        try await CLAKit.run {
            let response = try await connection.client().unary(GatewayV1.Analyses.Method.GetJob.self, .with { $0.jobId = jobID })
            let job = response.job ?? CommonV1.Job()
            try connection.print(response) {
                "job \(job.id): \(job.state.label), \(job.percent) %, ИНН \(job.request?.inn ?? "")"
                    + (job.reportId.isEmpty ? "" : ", report \(job.reportId)") + (job.error.isEmpty ? "" : "\nerror: \(job.error)")
            }
            // As `cla analyze` ends: a job that ended without a report is the analysis failing.
            if [.failed, .cancelled, .dead].contains(job.state) { throw ExitCode.analysisFailed }
        }
    }
}

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a report (by id, or the latest of an INN).")
    @OptionGroup var connection: Connection
    @Argument(help: "Report id, or an INN for its latest report.") var idOrINN: String
    @Option(help: "Save the PDF here.") var pdf: String?

    func run() async throws {
        try await CLAKit.run {
            let client = try connection.client()
            let isINN = idOrINN.allSatisfy(\.isNumber)
            let response = try await client.unary(GatewayV1.Reports.Method.GetReport.self, .with { $0.key = isINN ? .inn(idOrINN) : .id(idOrINN) })
            let report = response.report ?? CommonV1.Report()
            if let pdf { try await download(client, reportID: report.id, to: pdf) }
            try connection.print(response) { describe(report) }
        }
    }
}

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List reports, newest first.")
    @OptionGroup var connection: Connection
    @Option(help: "Only this INN.") var inn = ""
    @Option(help: "Only this level: low, medium, high, critical.") var level: String?
    @Option(help: "At most this many.") var limit: Int32 = 20

    func run() async throws {
        try await CLAKit.run {
            var filter = CommonV1.ReportFilter.with { $0.inn = inn }
            if let level {
                guard let value = CommonV1.RiskLevel(protoName: "RISK_LEVEL_" + level.uppercased()) else {
                    throw ValidationError("--level: expected low, medium, high, critical or insufficient_data")
                }
                filter.levels = [value]
            }
            let response = try await connection.client().unary(GatewayV1.Reports.Method.ListReports.self, .with {
                $0.filter = filter
                $0.page = .with { $0.pageSize = limit }
            })
            try connection.print(response) {
                response.reports.map { "\($0.id)  \($0.inn)  v\($0.version)  \($0.level.label.padding(toLength: 8, withPad: " ", startingAt: 0)) \(String(format: "%5.1f", $0.score))  \($0.companyName)" }
                    .joined(separator: "\n")
            }
        }
    }
}

struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Full-text search over companies analysed.")
    @OptionGroup var connection: Connection
    @Argument(help: "Words to find (name, INN, summary, notes).") var query: String

    func run() async throws {
        try await CLAKit.run {
            let response = try await connection.client().unary(GatewayV1.Threads.Method.SearchThreads.self, .with { $0.query = query })
            try connection.print(response) {
                response.threads.map { "\($0.inn)  \($0.reportCount) version(s)  \($0.companyName)  (thread \($0.id))" }.joined(separator: "\n")
            }
        }
    }
}

struct Compare: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare reports with the first: what changed about the company (with evidence), score, level and markers.")
    @OptionGroup var connection: Connection
    @Argument(help: "Two to ten report ids, the baseline first.") var reports: [String]

    func validate() throws {
        guard (2...10).contains(reports.count) else { throw ValidationError("give 2 to 10 report ids, the baseline first (got \(reports.count))") }
    }

    func run() async throws {
        try await CLAKit.run {
            let response = try await connection.client().unary(GatewayV1.Reports.Method.CompareReports.self, .with { $0.reportIds = reports })
            try connection.print(response) { response.diffs.map(Self.text).joined(separator: "\n\n") }
        }
    }

    static func text(_ diff: CommonV1.ReportDiff) -> String {
        var lines = ["\(diff.baseReportId) → \(diff.reportId): score \(diff.scoreBefore) → \(diff.scoreAfter), "
            + "\(diff.levelBefore.protoName) → \(diff.levelAfter.protoName)"]
        if !diff.changesCompared {
            lines.append("  changes about the company were not compared (a report stored before change detection)")
        } else if diff.changes.isEmpty {
            lines.append("  no change about the company")
        }
        for change in diff.changes {
            let severity = change.kind == .source ? "not compared" : ProtoLabel.of(change.severity.protoName, prefix: "SEVERITY_")
            lines.append("  [\(severity)] \(change.summary)")
            lines += change.evidence.map { "      \($0)" }
        }
        lines += diff.markerChanges.map { "  marker \(ProtoLabel.of($0.kind.protoName, prefix: "KIND_")): \($0.code)" }
        return lines.joined(separator: "\n")
    }
}

struct Feedback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Give feedback on a report (--rerun analyses again with it applied), or --list the feedback given.")
    @OptionGroup var connection: Connection
    @Argument(help: "The report id (with --list --thread: the thread id).") var report: String
    @Option(help: "accurate, partially_accurate or inaccurate.") var rating: String?
    @Option(help: "What is wrong or missing.") var comment = ""
    @Flag(help: "Queue version n+1 with the feedback applied.") var rerun = false
    @Flag(help: "List the feedback on the report instead of giving some.") var list = false
    @Flag(help: "With --list: the id is a thread's, list the feedback on all its versions.") var thread = false

    func validate() throws {
        if list {
            guard rating == nil, comment.isEmpty, !rerun else { throw ValidationError("--list takes no --rating, --comment or --rerun") }
        } else {
            guard rating != nil else { throw ValidationError("--rating is required (or --list to read feedback)") }
            guard !thread else { throw ValidationError("--thread goes with --list") }
        }
    }

    func run() async throws {
        try await CLAKit.run {
            if list { return try await listFeedback() }
            guard let value = CommonV1.FeedbackRating(protoName: "FEEDBACK_RATING_" + (rating ?? "").uppercased()) else {
                throw ValidationError("--rating: expected accurate, partially_accurate or inaccurate")
            }
            let response = try await connection.client().unary(GatewayV1.Threads.Method.SubmitFeedback.self, .with {
                $0.feedback = .with {
                    $0.reportId = report
                    $0.rating = value
                    $0.comment = comment
                    $0.rerun = rerun
                }
            })
            try connection.print(response) {
                "feedback \(response.feedback?.id ?? "") stored" + (response.rerunJob.map { "; re-run job \($0.id) queued (cla status \($0.id))" } ?? "")
            }
        }
    }

    private func listFeedback() async throws {
        let response = try await connection.client().unary(GatewayV1.Threads.Method.ListFeedback.self, .with {
            $0.key = thread ? .threadId(report) : .reportId(report)
            $0.page = .with { $0.pageSize = 1000 }
        })
        try connection.print(response) {
            guard !response.feedback.isEmpty else { return "no feedback" }
            return response.feedback.map { item in
                let rating = item.rating.protoName.replacingOccurrences(of: "FEEDBACK_RATING_", with: "").lowercased()
                return "\(item.id)  report \(item.reportId)  \(rating)" + (item.comment.isEmpty ? "" : "  \(item.comment)")
            }.joined(separator: "\n")
        }
    }
}

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "API keys (admin): list, create NAME --role viewer|analyst|admin, revoke ID.")
    @OptionGroup var connection: Connection
    @Argument(help: "list, create or revoke.") var action: String
    @Argument(help: "The new key's name (create) or the key id (revoke).") var subject: String?
    @Option(help: "Role of a new key.") var role = "viewer"
    @Option(help: "Requests per minute of a new key (0: the default).") var rate: Int32 = 0

    func run() async throws {
        try await CLAKit.run {
            let client = try connection.client()
            switch action {
            case "list":
                let response = try await client.unary(GatewayV1.Admin.Method.ListApiKeys.self, .init())
                try connection.print(response) {
                    response.keys.map { "\($0.id)  \($0.role.protoName.replacingOccurrences(of: "ROLE_", with: "").lowercased())  \($0.name)" }
                        .joined(separator: "\n")
                }
            case "create":
                guard let subject, let value = StorageV1.Role(protoName: "ROLE_" + role.uppercased()) else {
                    throw ValidationError("usage: cla keys create NAME --role viewer|analyst|admin")
                }
                let response = try await client.unary(GatewayV1.Admin.Method.CreateApiKey.self, .with {
                    $0.name = subject
                    $0.role = value
                    $0.rateLimitPerMinute = rate
                })
                try connection.print(response) { "created \(response.key?.id ?? ""); the secret, shown this once:\n\(response.secret)" }
            case "revoke":
                guard let subject else { throw ValidationError("usage: cla keys revoke ID") }
                let response = try await client.unary(GatewayV1.Admin.Method.RevokeApiKey.self, .with { $0.id = subject })
                try connection.print(response) { "revoked \(subject)" }
            default:
                throw ValidationError("keys: expected list, create or revoke, got \(action)")
            }
        }
    }
}
