package import Contracts

/// Where the embedded queue keeps jobs and their progress events. Backends store and find; every state
/// change is made by `QueuedJob`'s transitions inside `update` or `takeDue`, atomically.
package protocol JobStore: Sendable {
    /// Inserts the job, or returns the existing one with the same idempotency key (`created` false).
    func enqueue(_ job: QueuedJob) async throws -> (job: QueuedJob, created: Bool)
    func get(_ id: String) async throws -> QueuedJob?
    /// Applies `change` and saves the result atomically; nil when there is no such job. When `change`
    /// throws, nothing is saved.
    func update(_ id: String, _ change: @escaping @Sendable (inout QueuedJob) throws -> Void) async throws -> QueuedJob?
    /// Atomically passes due jobs (`dueAtMs <= now`, earliest first) to `take` until `limit` of them returned
    /// true, saving each one passed; returns the taken ones.
    func takeDue(now: Int64, limit: Int, _ take: @escaping @Sendable (inout QueuedJob) -> Bool) async throws -> [QueuedJob]
    /// Jobs in any of `states` (all when empty) for `inn` (any when nil), by id, after the id `after`.
    func list(states: [CommonV1.JobState], inn: String?, after: String?, limit: Int) async throws -> [QueuedJob]
    /// Stores the event with the next sequence number of its job and records its stage on the job; nil
    /// when the job does not exist.
    func appendProgress(_ event: CommonV1.ProgressEvent, now: Int64) async throws -> CommonV1.ProgressEvent?
    /// The job's events with a sequence above `after`, in order.
    func progress(jobID: String, after: Int64) async throws -> [CommonV1.ProgressEvent]
    func countByState() async throws -> [CommonV1.JobState: Int64]
    /// Creation time of the oldest job that waits and may run at `now`: queued, or retrying or scheduled
    /// with its time come (one scheduled for later is not late).
    func oldestWaitingCreatedAt(now: Int64) async throws -> Int64?
    /// Deletes these jobs and their events; returns how many existed.
    func delete(ids: [String]) async throws -> Int
}
