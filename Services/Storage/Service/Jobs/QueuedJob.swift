internal import ServiceKit
package import Contracts

/// A job as the queue keeps it: the contract's `Job` plus what only the queue needs.
package struct QueuedJob: Sendable, Equatable {
    package var job: CommonV1.Job
    /// Every failure's message, oldest first (a dead letter shows them all).
    package var errors: [String] = []
    /// A user cancelled the job while a worker held it; the worker learns it at its next heartbeat.
    package var cancelRequested = false

    package init(job: CommonV1.Job, errors: [String] = [], cancelRequested: Bool = false) {
        self.job = job
        self.errors = errors
        self.cancelRequested = cancelRequested
    }

    package var id: String { job.id }
    package var state: CommonV1.JobState { job.state }

    /// When the queue should next look at the job: due to run (queued, retrying, scheduled) or its lease
    /// ends (running); nil once it is final (succeeded, failed, cancelled, dead).
    package var dueAtMs: Int64? {
        switch job.state {
        case .queued where job.leaseOwner == Self.broker: job.leaseExpiresAtMs
        case .queued, .retryWait, .scheduled: job.notBeforeMs
        case .running: job.leaseExpiresAtMs
        default: nil
        }
    }

    package var isFinal: Bool { dueAtMs == nil }

    /// `lease_owner` of a queued job handed to the broker (RabbitMQ) and not yet claimed by a worker.
    package static let broker = "rabbitmq"

    /// As a dead letter, for `ListDeadLetters`.
    package func deadLetter(backend: String = "embedded") -> CommonV1.DeadLetter {
        .with {
            $0.jobId = job.id
            $0.inn = job.request?.inn ?? ""
            $0.reason = job.error
            $0.attempts = job.attempts
            $0.errors = errors
            $0.deadAtMs = job.finishedAtMs
            $0.backend = backend
        }
    }
}

/// How the queue retries: attempts before a job is dead-lettered and the backoff between them.
package struct JobRetryPolicy: Sendable, Equatable {
    package var maxAttempts: Int32 = 5
    package var backoff = Duration.seconds(2)
    package var maxBackoff = Duration.seconds(300)

    package init() {}

    /// The wait after the `attempt`-th failure: backoff × 2^(attempt−1), at most `maxBackoff`.
    package func delayMs(afterAttempt attempt: Int32) -> Int64 {
        let base = backoff.milliseconds
        let cap = maxBackoff.milliseconds
        let exponent = min(max(Int(attempt) - 1, 0), 30)
        let (product, overflow) = base.multipliedReportingOverflow(by: Int64(1) << exponent)
        return overflow ? cap : min(product, cap)
    }
}
