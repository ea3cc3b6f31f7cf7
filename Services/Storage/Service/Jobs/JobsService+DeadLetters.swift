package import Contracts
internal import RabbitMQ
internal import RPCCore

/// The dead-letter admin of `Jobs`: dead jobs listed, replayed or purged, in storage and, with a broker, in
/// RabbitMQ's dead-letter queue.
extension JobsService {
    /// Storage's dead jobs, in id order. With a broker, each says whether RabbitMQ holds its dead message
    /// (`backend` "rabbitmq", and the `x-death` reason among its errors), and the first page also lists the
    /// messages RabbitMQ dead-lettered whose job storage has not given up on (it runs them again itself).
    package func listDeadLetters(_ request: StorageV1.ListDeadLettersRequest) async throws -> StorageV1.ListDeadLettersResponse {
        let page = try PageRequest(request.page, cursorPrefix: "j1.")
        let jobs = try await store.list(states: [.dead], inn: nil, after: page.after, limit: page.limit)
        let dead = try await brokerDeadLetters()
        var letters = jobs.prefix(page.size).map { job in
            guard let message = dead[job.id] else { return job.deadLetter() }
            var letter = job.deadLetter(backend: "rabbitmq")
            letter.errors.append(Self.death(message))
            return letter
        }
        if page.after == nil {
            for (id, message) in dead.sorted(by: { $0.key < $1.key }) {
                guard let job = try await store.get(id), job.state != .dead else { continue }
                letters.append(.with {
                    $0.jobId = id
                    $0.inn = job.job.request?.inn ?? ""
                    $0.reason = "\(Self.death(message)); storage still has the job as \(job.state.protoName)"
                    $0.attempts = job.job.attempts
                    $0.errors = job.errors + [Self.death(message)]
                    $0.backend = "rabbitmq"
                })
            }
        }
        return .with { response in
            response.deadLetters = letters
            response.page = .with { $0.nextCursor = page.nextCursor(jobs, key: \.id) }
        }
    }

    /// Dead jobs go back to the queue with fresh attempts. With a broker their dead messages are deleted
    /// (storage publishes the job anew); an id that only RabbitMQ holds dead loses that message and keeps
    /// its job as storage has it.
    package func replayDeadLetters(_ request: StorageV1.ReplayDeadLetterRequest) async throws -> StorageV1.ReplayDeadLetterResponse {
        let dead = try await brokerDeadLetters()
        let ids = try await targets(request.jobIds, all: request.all)
        var replayed: [CommonV1.Job] = []
        for id in ids {
            if dead[id] != nil {
                guard let job = try await store.get(id) else { continue }  // only its message is left
                if job.state != .dead {
                    replayed.append(job.job)
                    continue
                }
            }
            replayed.append(try await change(id, field: "job_ids") { [now] in try $0.replay(now: now()) }.job)
        }
        try await discardBrokerDeadLetters(ids: request.all ? nil : Set(ids))
        return .with { $0.jobs = replayed }
    }

    /// Only dead letters: any other id refuses the whole request before anything is deleted.
    package func purgeDeadLetters(_ request: StorageV1.PurgeDeadLettersRequest) async throws -> StorageV1.PurgeDeadLettersResponse {
        let dead = try await brokerDeadLetters()
        let ids = try await targets(request.jobIds, all: request.all)
        var jobIDs: [String] = []
        for id in ids {
            guard let job = try await store.get(id) else {
                if dead[id] != nil { continue }
                throw Self.notFound(id)
            }
            if job.state == .dead {
                jobIDs.append(id)
            } else if dead[id] == nil {
                throw RPCError(.failedPrecondition, "job_ids: \(id) is \(job.state.protoName), not a dead letter")
            }
        }
        let purged = try await store.delete(ids: jobIDs)
        try await discardBrokerDeadLetters(ids: request.all ? nil : Set(ids))
        return .with { $0.purged = Int64(purged) }
    }

    /// RabbitMQ's dead letters by job id (empty without a broker).
    private func brokerDeadLetters() async throws -> [String: BrokerMessage] {
        guard let broker else { return [:] }
        let messages = try await Self.fromBroker { try await broker.deadLetters() }
        return Dictionary(messages.map { ($0.messageID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    private func discardBrokerDeadLetters(ids: Set<String>?) async throws {
        guard let broker else { return }
        _ = try await Self.fromBroker { try await broker.discardDeadLetters(ids: ids) }
    }

    private static func death(_ message: BrokerMessage) -> String {
        "RabbitMQ dead-lettered it: \(message.deathReason ?? "unknown reason") after \(message.deliveryCount + 1) deliveries"
    }

    /// A broker that cannot be reached is UNAVAILABLE to the caller, like any missing backend.
    static func fromBroker<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as BrokerError {
            throw RPCError(.unavailable, "\(error)")
        }
    }
}
