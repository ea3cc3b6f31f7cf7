import Contracts
import RPCCore
import Storage

/// Short forms of the Jobs calls for the conformance tests; each builds the request a client would send.
extension JobsService {
    func complete(jobID: String, worker: String, reportID: String) async throws -> CommonV1.Job {
        try await complete(.with { $0.jobId = jobID; $0.worker = worker; $0.reportId = reportID }).job ?? .init()
    }

    func fail(jobID: String, worker: String, error: String, retriable: Bool) async throws -> CommonV1.Job {
        try await fail(.with { $0.jobId = jobID; $0.worker = worker; $0.error = error; $0.retriable = retriable }).job ?? .init()
    }

    func release(jobID: String, worker: String) async throws {
        _ = try await release(.with { $0.jobId = jobID; $0.worker = worker })
    }

    func cancel(_ id: String) async throws -> CommonV1.Job {
        try await cancel(.with { $0.jobId = id }).job ?? .init()
    }

    func job(_ id: String) async throws -> CommonV1.Job {
        try await getJob(.with { $0.jobId = id }).job ?? .init()
    }

    func appendProgress(_ event: CommonV1.ProgressEvent) async throws -> Int64 {
        try await appendProgress(.with { $0.event = event }).sequence
    }

    func list(states: [CommonV1.JobState], inn: String?) async throws -> [CommonV1.Job] {
        try await listJobs(.with { $0.states = states; $0.inn = inn ?? ""; $0.page = .with { $0.pageSize = 1000 } }).jobs
    }

    func listPage(size: Int32, cursor: String) async throws -> StorageV1.ListJobsResponse {
        try await listJobs(.with { $0.page = .with { $0.pageSize = size; $0.cursor = cursor } })
    }

    func deadLetters() async throws -> [CommonV1.DeadLetter] {
        try await listDeadLetters(.init()).deadLetters
    }

    func replay(_ ids: [String]) async throws -> [CommonV1.Job] {
        try await replayDeadLetters(.with { $0.jobIds = ids }).jobs
    }

    /// The number purged, or nil when the request was refused (FAILED_PRECONDITION).
    func purge(_ ids: [String]) async throws -> Int64? {
        do {
            return try await purgeDeadLetters(.with { $0.jobIds = ids }).purged
        } catch let error as RPCError where error.code == .failedPrecondition {
            return nil
        }
    }
}
