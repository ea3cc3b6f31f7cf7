internal import Contracts
internal import ProtoJSON

/// Every REST operation under `/api/v1`, in the order the OpenAPI document lists them. Fixed paths come
/// before templated ones that could also match them (`/reports/stats` before `/reports/{id}`).
package enum RESTRoutes {
    private typealias Analyses = GatewayV1.Analyses.Method
    private typealias Reports = GatewayV1.Reports.Method
    private typealias Threads = GatewayV1.Threads.Method
    private typealias Sources = GatewayV1.Sources.Method
    private typealias Admin = GatewayV1.Admin.Method

    package static let all: [RESTRoute] = [
        .route("POST", "/api/v1/analyses", Analyses.Submit.self, body: .required, status: 202,
               headers: [("Idempotency-Key", "idempotency_key")],
               "Submit an analysis of an INN (an Idempotency-Key header works like idempotency_key)"),
        .route("POST", "/api/v1/analyses/prompt", Analyses.SubmitPrompt.self, body: .required, status: 202,
               "Submit an analysis of the INN found in free text"),
        .route("GET", "/api/v1/jobs", Analyses.ListJobs.self, "List jobs (filters: states, inn; paging)"),
        .route("GET", "/api/v1/jobs/{job_id}", Analyses.GetJob.self, "Get a job"),
        .route("GET", "/api/v1/jobs/{job_id}/events", Analyses.WatchJob.self, answer: .events,
               headers: [("Last-Event-ID", "after_sequence")],
               "Follow a job: its progress so far, then live, as Server-Sent Events (Last-Event-ID resumes)"),
        .route("POST", "/api/v1/jobs/{job_id}/cancel", Analyses.CancelJob.self, body: .optional, "Cancel a job"),

        .route("GET", "/api/v1/reports", Reports.ListReports.self, "List reports (filter.*, page.*)"),
        .route("GET", "/api/v1/reports/latest", Reports.GetReport.self, "The latest report of an INN (?inn=)"),
        .route("GET", "/api/v1/reports/stats", Reports.Stats.self, "Counts and averages over reports"),
        .route("GET", "/api/v1/reports/timeline", Reports.Timeline.self, "Reports per day (?days=, default 30)"),
        .route("GET", "/api/v1/reports/export", Reports.ExportReports.self, answer: .download,
               "Export matching reports as CSV (default) or a JSON array (?format=json)"),
        .route("POST", "/api/v1/reports/compare", Reports.CompareReports.self, body: .required, "Compare 2–10 reports against the first"),
        .route("POST", "/api/v1/reports/delete", Reports.DeleteReports.self, body: .required, "Delete reports (admin)"),
        .route("GET", "/api/v1/reports/{id}", Reports.GetReport.self, "Get a report"),
        .route("DELETE", "/api/v1/reports/{ids}", Reports.DeleteReports.self, "Delete reports: one id, or several separated by commas (admin)"),
        .route("GET", "/api/v1/reports/{report_id}/document", Reports.DownloadReport.self, answer: .download,
               "Download a report: PDF (default), or ?format=html|markdown|csv"),

        .route("GET", "/api/v1/reports/{report_id}/feedback", Threads.ListFeedback.self, "Feedback on a report, newest first"),

        .route("GET", "/api/v1/threads", Threads.ListThreads.self, "List threads (filter.*, page.*)"),
        .route("GET", "/api/v1/threads/search", Threads.SearchThreads.self, "Full-text search over threads (?query=)"),
        .route("GET", "/api/v1/threads/count", Threads.CountThreads.self, "Count threads (filter.*)"),
        .route("GET", "/api/v1/threads/by-inn/{inn}", Threads.GetThread.self, "The thread of an INN with its versions and feedback"),
        .route("GET", "/api/v1/threads/by-ogrn/{ogrn}", Threads.GetThread.self, "The thread of the company with this OGRN or OGRNIP"),
        .route("GET", "/api/v1/threads/{id}", Threads.GetThread.self, "A thread with its versions and feedback"),
        .route("GET", "/api/v1/threads/{thread_id}/feedback", Threads.ListFeedback.self,
               "Feedback on every version of a thread, newest first"),
        .route("DELETE", "/api/v1/threads/{id}", Threads.DeleteThread.self, "Delete a thread with its reports (admin)"),
        .route("POST", "/api/v1/feedback", Threads.SubmitFeedback.self, body: .required, status: 201,
               "Give feedback on a report; with rerun set, version n+1 is queued with it applied"),

        .route("GET", "/api/v1/sources/lookup", Sources.Lookup.self, "Ask one provider directly (?source=dadata&inn=…; analyst)"),
        .route("GET", "/api/v1/scoring-model", Sources.DescribeScoringModel.self, "The scoring model: weights, rules, thresholds"),

        .route("GET", "/api/v1/admin/cache", Admin.ListCache.self, "List provider cache entries (?prefix=, page.*)"),
        .route("GET", "/api/v1/admin/cache/stats", Admin.CacheStats.self, "Provider cache statistics"),
        .route("DELETE", "/api/v1/admin/cache", Admin.DeleteCache.self, "Delete cache entries (?key= or ?prefix=)"),
        .route("GET", "/api/v1/admin/dead-letters", Admin.ListDeadLetters.self, "List dead-lettered jobs"),
        .route("POST", "/api/v1/admin/dead-letters/replay", Admin.ReplayDeadLetters.self, body: .required, "Replay dead letters"),
        .route("POST", "/api/v1/admin/dead-letters/purge", Admin.PurgeDeadLetters.self, body: .required, "Purge dead letters"),
        .route("GET", "/api/v1/admin/keys", Admin.ListApiKeys.self, "List API keys (names, roles, use; never secrets or their hashes)"),
        .route("POST", "/api/v1/admin/keys", Admin.CreateApiKey.self, body: .required, status: 201,
               "Create an API key; the secret is in the answer, this once"),
        .route("DELETE", "/api/v1/admin/keys/{id}", Admin.RevokeApiKey.self, "Revoke an API key"),
        .route("GET", "/api/v1/admin/audit", Admin.ListAudit.self, "The audit log: mutating calls and refused authentications"),
        .route("GET", "/api/v1/admin/providers", Admin.ProviderStatus.self, "Provider circuit breakers"),
        .route("GET", "/api/v1/admin/queue", Admin.QueueDepth.self, "Jobs by state and the age of the oldest queued one"),
    ]
}
