package import Contracts
package import RabbitMQ
internal import ServiceKit
internal import Synchronization

/// The job queue through RabbitMQ (`features.queue_backend: rabbitmq`). Storage publishes the id of each due
/// job; this consumes the messages and claims each job from storage, which leases it only while it is still
/// queued. Storage's record decides everything else (heartbeats, retries, dead letters), so a message is only
/// a wake-up: it is acked once its job has been handled — or at once when the claim finds nothing to run
/// (a duplicate, or a job cancelled meanwhile) — and rejected into the dead-letter queue when storage
/// dead-letters the job.
package final class BrokerJobQueue: JobQueue {
    private let consumer: BrokerConsumer
    private let storage: StorageJobQueue
    private let inbox = Inbox()
    /// The delivery of each claimed job, settled when the job is.
    private let held = Mutex<[String: BrokerDelivery]>([:])
    private let pump: Task<Void, Never>

    package init(consumer: BrokerConsumer, storage: StorageJobQueue) {
        self.consumer = consumer
        self.storage = storage
        let inbox = inbox
        pump = Task {
            for await delivery in consumer.deliveries {
                inbox.deliveries.withLock { $0.append(delivery) }
                inbox.arrived.notifyAll()
            }
        }
    }

    deinit { pump.cancel() }

    package var isConnected: Bool { consumer.isConnected }

    package func lease(worker: String, max: Int, visibility: Duration, wait: Duration) async throws -> [CommonV1.Job] {
        let deadline = ContinuousClock.now + wait
        var jobs: [CommonV1.Job] = []
        while true {
            var batch = inbox.deliveries.withLock { inbox in
                let taken = Array(inbox.prefix(max - jobs.count))
                inbox.removeFirst(taken.count)
                return taken
            }
            while !batch.isEmpty {
                let delivery = batch.removeFirst()
                let id = delivery.message.messageID
                let claimed: CommonV1.Job?
                do {
                    claimed = try await storage.claim(jobID: id, worker: worker, visibility: visibility)
                } catch {
                    // Storage is unreachable: keep the messages (a requeue would use up a delivery) and let the
                    // worker try again.
                    inbox.deliveries.withLock { $0.insert(contentsOf: [delivery] + batch, at: 0) }
                    if jobs.isEmpty { throw error }
                    return jobs
                }
                if let claimed {
                    held.withLock { $0[id] = delivery }
                    jobs.append(claimed)
                } else {
                    consumer.ack(delivery)
                }
            }
            if !jobs.isEmpty || ContinuousClock.now >= deadline { return jobs }
            await inbox.arrived.wait(timeout: min(deadline - ContinuousClock.now, .seconds(1)))
            try Task.checkCancellation()
        }
    }

    package func heartbeat(jobID: String, worker: String, visibility: Duration) async throws -> Bool {
        try await storage.heartbeat(jobID: jobID, worker: worker, visibility: visibility)
    }

    package func progress(_ event: CommonV1.ProgressEvent) async throws {
        try await storage.progress(event)
    }

    package func complete(jobID: String, worker: String, reportID: String) async throws {
        // Whatever storage answers, the message has done its work: if the completion was not recorded, the
        // lease runs out and storage publishes the job again.
        defer { settle(jobID, dead: false) }
        try await storage.complete(jobID: jobID, worker: worker, reportID: reportID)
    }

    package func fail(jobID: String, worker: String, error: String, retriable: Bool) async throws -> CommonV1.Job {
        do {
            let job = try await storage.fail(jobID: jobID, worker: worker, error: error, retriable: retriable)
            settle(jobID, dead: job.state == .dead)
            return job
        } catch {
            settle(jobID, dead: false)
            throw error
        }
    }

    package func release(jobID: String, worker: String) async throws {
        defer { settle(jobID, dead: false) }
        try await storage.release(jobID: jobID, worker: worker)
    }

    /// Stops consuming: messages not yet acked go back to the queue.
    package func stop() async {
        await consumer.stop()
    }

    /// Acks the job's message, or rejects it without requeue — into the dead-letter queue, with `x-death`
    /// reason `rejected` — when storage dead-lettered the job.
    private func settle(_ jobID: String, dead: Bool) {
        guard let delivery = held.withLock({ $0.removeValue(forKey: jobID) }) else { return }
        if dead { consumer.reject(delivery, requeue: false) } else { consumer.ack(delivery) }
    }
}

/// Delivered and not yet claimed, oldest first (at most the prefetch).
private final class Inbox: Sendable {
    let deliveries = Mutex<[BrokerDelivery]>([])
    let arrived = ChangeSignal()
}
