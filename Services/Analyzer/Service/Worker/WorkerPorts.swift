package import Contracts

/// The job queue as the worker sees it: storage's embedded queue now, RabbitMQ later, memory in tests.
package protocol JobQueue: Sendable {
    /// Up to `max` jobs, waiting up to `wait` for one.
    func lease(worker: String, max: Int, visibility: Duration, wait: Duration) async throws -> [CommonV1.Job]
    /// Extends the lease; true when a user asked to cancel the job.
    func heartbeat(jobID: String, worker: String, visibility: Duration) async throws -> Bool
    func progress(_ event: CommonV1.ProgressEvent) async throws
    func complete(jobID: String, worker: String, reportID: String) async throws
    /// The job after the failure: queued again, waiting to retry, failed, or dead.
    func fail(jobID: String, worker: String, error: String, retriable: Bool) async throws -> CommonV1.Job
    /// Gives an unfinished job back (shutdown), without counting a failure.
    func release(jobID: String, worker: String) async throws
}

/// Where reports and their documents go (storage).
package protocol ReportStore: Sendable {
    func report(id: String) async throws -> CommonV1.Report?
    /// Stores a new version; a second put for the same job returns the first report, so a redelivered job never
    /// makes a duplicate version.
    func put(_ report: CommonV1.Report, jobID: String) async throws -> CommonV1.Report
    func putDocument(reportID: String, format: String, contentType: String, data: [UInt8]) async throws
}

/// Makes the PDF of a report (report-renderer).
package protocol PDFRenderer: Sendable {
    func pdf(_ report: CommonV1.Report) async throws -> [UInt8]
}
