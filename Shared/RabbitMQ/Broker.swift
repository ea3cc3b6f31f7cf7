internal import Dispatch
internal import Foundation
internal import Synchronization

/// The queues of one job pipeline: a durable quorum queue with a delivery limit, whose messages go to a
/// dead-letter exchange and queue after that many failed deliveries (or a reject without requeue).
package struct JobTopology: Sendable, Equatable {
    package var queue: String
    package var deadLetterExchange: String
    package var deadLetterQueue: String
    /// Redeliveries allowed: a message is delivered at most this + 1 times.
    package var deliveryLimit: Int

    package init(queue: String = "cla.jobs", deliveryLimit: Int = 5) {
        self.queue = queue
        deadLetterExchange = queue + ".dlx"
        deadLetterQueue = queue + ".dead"
        self.deliveryLimit = deliveryLimit
    }

    /// Declares it all (idempotent while the arguments stay the same).
    func declare(on connection: AMQPConnection) throws(BrokerError) {
        try connection.declareExchange(deadLetterExchange)
        try connection.declareQuorumQueue(deadLetterQueue)
        try connection.bind(queue: deadLetterQueue, exchange: deadLetterExchange, key: deadLetterQueue)
        try connection.declareQuorumQueue(
            queue, deadLetterExchange: deadLetterExchange, deadLetterKey: deadLetterQueue, deliveryLimit: deliveryLimit)
    }
}

/// Publishes with publisher confirms and manages the queues, over one connection owned by a serial queue
/// (rabbitmq-c blocks). A publish returns once the broker has confirmed the message is stored. A broken
/// connection is replaced on the next call; between calls a timer services heartbeats.
package final class BrokerPublisher: Sendable {
    private let address: BrokerAddress
    private let topology: JobTopology
    private let timeout: Duration
    private let queue = DispatchQueue(label: "cla.rabbitmq.publisher")
    /// Touched only on `queue`.
    private nonisolated(unsafe) var connection: AMQPConnection?
    private nonisolated(unsafe) var nextTag: UInt64 = 1
    private nonisolated(unsafe) var heartbeats: (any DispatchSourceTimer)?

    package init(address: BrokerAddress, topology: JobTopology, timeout: Duration = .seconds(10)) {
        self.address = address
        self.topology = topology
        self.timeout = timeout
    }

    deinit { heartbeats?.cancel() }

    /// Publishes `body` to the job queue and waits for the broker's confirmation.
    package func publish(_ body: [UInt8], messageID: String, header: (String, String)? = nil) async throws {
        let queueName = topology.queue
        try await run { connection in
            try self.publishConfirmed([(messageID, body)], to: queueName, header: header, on: connection)
        }
    }

    /// Publishes the messages back to back and waits until the broker has confirmed them all: one round
    /// trip for the batch rather than one per message.
    package func publish(batch: [(messageID: String, body: [UInt8])]) async throws {
        guard !batch.isEmpty else { return }
        let queueName = topology.queue
        try await run { connection in try self.publishConfirmed(batch, to: queueName, header: nil, on: connection) }
    }

    /// Moves up to `limit` dead letters (or only those whose message id is in `ids`) back to the job queue,
    /// each confirmed before its dead copy is acked; returns their message ids.
    package func replayDeadLetters(ids: Set<String>? = nil, limit: Int = 1000) async throws -> [String] {
        try await takeDeadLetters(ids: ids, limit: limit, republish: true)
    }

    /// Deletes up to `limit` dead letters (or only those whose message id is in `ids`); returns their ids.
    package func discardDeadLetters(ids: Set<String>? = nil, limit: Int = 1000) async throws -> [String] {
        try await takeDeadLetters(ids: ids, limit: limit, republish: false)
    }

    private func takeDeadLetters(ids: Set<String>?, limit: Int, republish: Bool) async throws -> [String] {
        let topology = topology
        return try await run { connection in
            var taken: [String] = []
            var skipped: [UInt64] = []
            defer { for tag in skipped { try? connection.reject(tag, requeue: true) } }
            while taken.count < limit, let (tag, message) = try connection.get(topology.deadLetterQueue) {
                guard ids?.contains(message.messageID) ?? true else {
                    skipped.append(tag)
                    continue
                }
                if republish {
                    try self.publishConfirmed([(message.messageID, message.body)], to: topology.queue, header: nil, on: connection)
                }
                try connection.ack(tag)
                taken.append(message.messageID)
            }
            return taken
        }
    }

    /// The dead letters, read and put back (AMQP has no peek): message id, reason, deliveries.
    package func deadLetters(limit: Int = 1000) async throws -> [BrokerMessage] {
        let topology = topology
        return try await run { connection in
            var messages: [BrokerMessage] = []
            var tags: [UInt64] = []
            defer { for tag in tags { try? connection.reject(tag, requeue: true) } }
            while messages.count < limit, let (tag, message) = try connection.get(topology.deadLetterQueue) {
                tags.append(tag)
                messages.append(message)
            }
            return messages
        }
    }

    package func purgeDeadLetters() async throws -> Int {
        let topology = topology
        return try await run { connection in try connection.purge(topology.deadLetterQueue) }
    }

    /// Ready messages in the job queue and in the dead-letter queue.
    package func depth() async throws -> (jobs: Int, dead: Int) {
        let topology = topology
        return try await run { connection in (try connection.depth(topology.queue), try connection.depth(topology.deadLetterQueue)) }
    }

    // MARK: The connection's queue

    private func run<Result: Sendable>(_ body: @escaping @Sendable (AMQPConnection) throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do {
                    let reused = self.connection?.isOpen == true
                    do {
                        continuation.resume(returning: try body(try self.connected()))
                    } catch BrokerError.unavailable where reused {
                        // The connection broke while idle (a broker restart) before a heartbeat noticed:
                        // once more on a new one. A publish may then reach the broker twice; consumers
                        // are idempotent by message id anyway.
                        self.connection = nil
                        continuation.resume(returning: try body(try self.connected()))
                    }
                } catch {
                    if self.connection?.isOpen == false { self.connection = nil }
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    private func connected() throws -> AMQPConnection {
        if let connection, connection.isOpen { return connection }
        connection = nil
        let fresh = try AMQPConnection(address, timeout: timeout)
        try topology.declare(on: fresh)
        try fresh.confirmSelect()
        nextTag = 1
        connection = fresh
        startHeartbeats()
        return fresh
    }

    private func publishConfirmed(
        _ messages: [(messageID: String, body: [UInt8])], to routingKey: String, header: (String, String)?, on connection: AMQPConnection
    ) throws {
        var waiting = Set<UInt64>()
        for message in messages {
            try connection.publish(exchange: "", routingKey: routingKey, messageID: message.messageID, header: header, body: message.body)
            waiting.insert(nextTag)
            nextTag += 1
        }
        let deadline = ContinuousClock.now + timeout
        var returned: String?
        while !waiting.isEmpty, ContinuousClock.now < deadline {
            switch try connection.nextConfirmation(timeout: .milliseconds(200)) {
            case .ack(let tag, let multiple)?:
                if multiple { waiting = waiting.filter { $0 > tag } } else { waiting.remove(tag) }
            case .nack(let tag, let multiple)? where waiting.contains(tag) || (multiple && waiting.contains { $0 <= tag }):
                throw BrokerError.rejected("basic.nack for a message of \(messages.count)")
            case .returned(let reason)?:
                returned = reason
            default:
                continue
            }
        }
        if let returned { throw BrokerError.rejected("unroutable (\(returned))") }
        if !waiting.isEmpty { throw BrokerError.timedOut("the confirmation of \(waiting.count) of \(messages.count) messages") }
    }

    private func startHeartbeats() {
        guard heartbeats == nil else { return }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let interval = max(1, address.heartbeat / 2)
        timer.schedule(deadline: .now() + .seconds(interval), repeating: .seconds(interval))
        timer.setEventHandler { [weak self] in
            guard let self, let connection = self.connection, connection.isOpen else { return }
            do {
                try connection.serviceHeartbeats()
            } catch {
                self.connection = nil  // replaced on the next call
            }
        }
        timer.resume()
        heartbeats = timer
    }
}
