package import Contracts
package import RPCCore

/// The job state machine. Every change a queue makes goes through these, whatever the backend, so the
/// backends differ only in how they store and find jobs.
///
/// queued/retry_wait/scheduled --lease--> running --complete--> succeeded
///                                          |--fail(retriable, attempts left)--> retry_wait (backoff)
///                                          |--fail(not retriable)--> failed
///                                          |--fail / lease expiry with no attempts left--> dead --replay--> queued
///                                          |--release--> queued (the attempt does not count)
/// cancel: waiting → cancelled at once; running → cancel requested, cancelled when the worker gives up.
///
/// With a broker (RabbitMQ) the workers do not lease due jobs themselves: storage dispatches them (they
/// stay queued, owned by the broker until a redispatch time) and publishes their ids; a worker claims the
/// job a message names, which leases it if it is still queued.
extension QueuedJob {
    /// Hands the job to `worker` until `now + visibilityMs`. Called for due jobs only; a running job here
    /// is one whose lease expired, which counts as a failed attempt (dead-lettered when none are left).
    /// Returns false when the job was dead-lettered instead of leased.
    package mutating func lease(worker: String, visibilityMs: Int64, now: Int64) -> Bool {
        guard expireLease(now: now) else { return false }
        job.state = .running
        job.attempts += 1
        job.leaseOwner = worker
        job.leaseExpiresAtMs = now + visibilityMs
        if job.startedAtMs == 0 { job.startedAtMs = now }
        job.stage = .started
        job.updatedAtMs = now
        return true
    }

    /// Leases the job a broker delivered, when it is still waiting in the queue; false when it is not (the
    /// delivery was stale: the job already runs, ended, or waits for a retry that storage will publish).
    package mutating func claim(worker: String, visibilityMs: Int64, now: Int64) -> Bool {
        guard job.state == .queued else { return false }
        return lease(worker: worker, visibilityMs: visibilityMs, now: now)
    }

    /// Hands a due job to the broker: it stays queued, and is due again (published once more) at
    /// `now + redispatchMs` unless a worker claims it first. An expired lease counts as in `lease`; false
    /// when the job was dead-lettered instead.
    package mutating func dispatch(redispatchMs: Int64, now: Int64) -> Bool {
        guard expireLease(now: now) else { return false }
        job.state = .queued
        job.stage = .queued
        job.leaseOwner = Self.broker
        job.leaseExpiresAtMs = now + redispatchMs
        job.updatedAtMs = now
        return true
    }

    /// Takes back a dispatch whose message the broker did not confirm: due again at once.
    package mutating func undispatch(now: Int64) {
        guard job.state == .queued, job.leaseOwner == Self.broker else { return }
        clearLease(now: now)
    }

    package mutating func heartbeat(worker: String, visibilityMs: Int64, now: Int64) throws {
        try requireLease(by: worker)
        job.leaseExpiresAtMs = now + visibilityMs
        job.updatedAtMs = now
    }

    /// Records progress reported by the worker on the job itself (stage and percent).
    package mutating func record(_ event: CommonV1.ProgressEvent, now: Int64) {
        if event.stage != .unspecified { job.stage = event.stage }
        job.percent = max(job.percent, min(100, max(0, event.percent)))
        job.updatedAtMs = now
    }

    /// Idempotent: completing a job that already succeeded with the same report changes nothing.
    package mutating func complete(worker: String, reportID: String, now: Int64) throws {
        if job.state == .succeeded, job.reportId == reportID { return }
        try requireLease(by: worker)
        job.state = .succeeded
        job.reportId = reportID
        job.stage = .completed
        job.percent = 100
        job.error = ""
        finish(now: now)
    }

    package mutating func fail(worker: String, error: String, retriable: Bool, now: Int64, policy: JobRetryPolicy) throws {
        try requireLease(by: worker)
        errors.append(error)
        job.error = error
        if cancelRequested {
            job.state = .cancelled
            job.stage = .cancelled
            finish(now: now)
        } else if !retriable {
            job.state = .failed
            job.stage = .failed
            finish(now: now)
        } else if job.attempts >= job.maxAttempts {
            bury(reason: "failed \(job.attempts) times; last error: \(error)", now: now)
        } else {
            job.state = .retryWait
            job.stage = .retrying
            job.notBeforeMs = now + policy.delayMs(afterAttempt: job.attempts)
            clearLease(now: now)
        }
    }

    /// A worker giving a job back (shutting down): queued again, and the attempt does not count.
    package mutating func release(worker: String, now: Int64) throws {
        try requireLease(by: worker)
        job.state = .queued
        job.stage = .queued
        job.attempts -= 1
        job.notBeforeMs = now
        clearLease(now: now)
    }

    /// Waiting jobs are cancelled at once; a running one is asked to stop (asking again changes nothing).
    /// A job that has ended cannot be cancelled: the caller learns its final state instead of a silent no-op.
    package mutating func cancel(reason: String, now: Int64) throws {
        switch job.state {
        case .queued, .retryWait, .scheduled:
            job.state = .cancelled
            job.stage = .cancelled
            job.error = reason.isEmpty ? "cancelled" : reason
            finish(now: now)
        case .running:
            cancelRequested = true
            job.cancelRequested = true
            job.updatedAtMs = now
        default:
            throw RPCError(.failedPrecondition, "job_id: job \(job.id) has already ended (\(job.state.protoName)); there is nothing to cancel")
        }
    }

    /// A dead letter back in the queue, with a fresh set of attempts.
    package mutating func replay(now: Int64) throws {
        guard job.state == .dead else {
            throw RPCError(.failedPrecondition, "job_ids: \(job.id) is \(job.state.protoName), not a dead letter")
        }
        job.state = .queued
        job.stage = .queued
        job.attempts = 0
        job.error = ""
        job.notBeforeMs = now
        job.finishedAtMs = 0
        job.updatedAtMs = now
    }

    /// A running job passed as due has outlived its lease: a failed attempt. False when it was the last one
    /// and the job is now dead.
    private mutating func expireLease(now: Int64) -> Bool {
        guard job.state == .running else { return true }
        let message = "lease of \(job.leaseOwner) expired without completion"
        errors.append(message)
        if job.attempts >= job.maxAttempts {
            bury(reason: "\(message) (attempt \(job.attempts) of \(job.maxAttempts))", now: now)
            return false
        }
        return true
    }

    private mutating func bury(reason: String, now: Int64) {
        job.state = .dead
        job.stage = .failed
        job.error = reason
        finish(now: now)
    }

    private mutating func finish(now: Int64) {
        job.finishedAtMs = now
        clearLease(now: now)
    }

    private mutating func clearLease(now: Int64) {
        job.leaseOwner = ""
        job.leaseExpiresAtMs = 0
        job.updatedAtMs = now
    }

    private func requireLease(by worker: String) throws {
        guard job.state == .running, job.leaseOwner == worker else {
            let holder = job.state == .running ? "leased by \(job.leaseOwner)" : job.state.protoName
            throw RPCError(.failedPrecondition, "job \(job.id) is not leased by \(worker) (it is \(holder))")
        }
    }
}

extension QueuedJob {
    /// The last progress event of an ended job: how it ended, with the report id or the error.
    var closingEvent: CommonV1.ProgressEvent {
        .with { event in
            event.jobId = job.id
            switch job.state {
            case .succeeded:
                event.stage = .completed
                event.percent = 100
                event.message = "Отчёт готов"
                event.detail = .reportId(job.reportId)
            case .cancelled:
                event.stage = .cancelled
                event.percent = job.percent
                event.message = "Отменено: \(job.error)"
                event.detail = .error(job.error)
            default:
                event.stage = .failed
                event.percent = job.percent
                event.message = job.state == .dead ? "Не удалось: попытки исчерпаны" : "Не удалось"
                event.detail = .error(job.error)
            }
        }
    }
}
