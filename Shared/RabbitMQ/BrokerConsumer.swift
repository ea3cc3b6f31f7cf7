internal import Foundation
internal import Synchronization

/// A message handed to a consumer; ack or reject it through the consumer that gave it.
package struct BrokerDelivery: Sendable {
    package var message: BrokerMessage
    let tag: UInt64
    /// Which connection delivered it: a tag means nothing on the next one (the broker redelivers instead).
    let generation: Int
}

/// Consumes the job queue on a thread of its own (rabbitmq-c blocks), with manual acks and a prefetch
/// limit, servicing heartbeats while it waits. A lost connection is re-established with backoff; what was
/// delivered but not acked on it comes back from the broker, counted as a delivery.
package final class BrokerConsumer: Sendable {
    private enum Settlement {
        case ack(BrokerDelivery)
        case reject(BrokerDelivery, requeue: Bool)
    }

    private struct State {
        var settlements: [Settlement] = []
        /// Acks and rejects asked for and not yet written to the broker.
        var unsettled = 0
        var stopped = false
        var finished = false
        var connected = false
        var lastError: BrokerError?
    }

    private let address: BrokerAddress
    private let topology: JobTopology
    private let prefetch: Int
    private let state = Mutex(State())
    private let stream: AsyncStream<BrokerDelivery>
    private let continuation: AsyncStream<BrokerDelivery>.Continuation

    package init(address: BrokerAddress, topology: JobTopology, prefetch: Int) {
        self.address = address
        self.topology = topology
        self.prefetch = prefetch
        (stream, continuation) = AsyncStream.makeStream(of: BrokerDelivery.self)
        let thread = Thread { [self] in loop() }
        thread.name = "cla.rabbitmq.consumer"
        thread.start()
    }

    /// Deliveries as they arrive, until `stop()`.
    package var deliveries: AsyncStream<BrokerDelivery> { stream }

    package var isConnected: Bool { state.withLock { $0.connected } }
    package var lastError: BrokerError? { state.withLock { $0.lastError } }

    /// Acknowledges: the broker forgets the message.
    package func ack(_ delivery: BrokerDelivery) {
        state.withLock {
            $0.settlements.append(.ack(delivery))
            $0.unsettled += 1
        }
    }

    /// Gives the message back: requeued (another delivery) or dead-lettered.
    package func reject(_ delivery: BrokerDelivery, requeue: Bool) {
        state.withLock {
            $0.settlements.append(.reject(delivery, requeue: requeue))
            $0.unsettled += 1
        }
    }

    /// Returns once every ack and reject asked for so far has been written to the broker (or dropped with
    /// the connection it belonged to).
    package func settled() async {
        while state.withLock({ $0.unsettled > 0 && !$0.stopped }) { try? await Task.sleep(for: .milliseconds(10)) }
    }

    /// Stops consuming and returns once the connection is closed: messages delivered and not acked go back
    /// to the queue (counted as delivered once more).
    package func stop() async {
        state.withLock { $0.stopped = true }
        while !state.withLock({ $0.finished }) { try? await Task.sleep(for: .milliseconds(10)) }
    }

    // MARK: The thread

    private func loop() {
        var connection: AMQPConnection?
        var generation = 0
        var failures = 0
        while !state.withLock({ $0.stopped }) {
            do {
                if connection == nil {
                    let fresh = try AMQPConnection(address, timeout: .seconds(10))
                    try topology.declare(on: fresh)
                    try fresh.consume(topology.queue, prefetch: prefetch)
                    connection = fresh
                    generation += 1
                    failures = 0
                    state.withLock {
                        $0.connected = true
                        $0.lastError = nil
                    }
                }
                guard let current = connection else { continue }
                try settle(on: current, generation: generation)
                // A short wait: acks asked for meanwhile are written on the next turn, and prefetch slots free up.
                if let (tag, message) = try current.nextDelivery(timeout: .milliseconds(20)) {
                    continuation.yield(BrokerDelivery(message: message, tag: tag, generation: generation))
                }
            } catch {
                connection = nil
                failures += 1
                state.withLock {
                    $0.connected = false
                    $0.lastError = error
                }
                // 100 ms doubling to 5 s, in steps that notice stop().
                let backoff = min(0.1 * pow(2, Double(min(failures - 1, 6))), 5)
                let until = Date().addingTimeInterval(backoff)
                while Date() < until, !state.withLock({ $0.stopped }) { Thread.sleep(forTimeInterval: 0.05) }
            }
        }
        if let connection { try? settle(on: connection, generation: generation) }
        connection = nil
        state.withLock {
            $0.finished = true
            $0.connected = false
        }
        continuation.finish()
    }

    private func settle(on connection: AMQPConnection, generation: Int) throws(BrokerError) {
        let pending = state.withLock { state in
            defer { state.settlements = [] }
            return state.settlements
        }
        defer { state.withLock { $0.unsettled -= pending.count } }
        for settlement in pending {
            switch settlement {
            case .ack(let delivery) where delivery.generation == generation: try connection.ack(delivery.tag)
            case .reject(let delivery, let requeue) where delivery.generation == generation: try connection.reject(delivery.tag, requeue: requeue)
            default: continue  // from a connection that is gone: the broker redelivers it
            }
        }
    }
}
