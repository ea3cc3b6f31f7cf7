import Foundation
import BackendTestSupport
import RabbitMQ
import Testing

/// The RabbitMQ job queue against a real broker (one per test run, restarted by the last test): publisher
/// confirms, manual acks, the delivery limit and the dead-letter queue, and a broker restart mid-stream.
@Suite("RabbitMQ broker", .serialized, .timeLimit(.minutes(3)))
struct BrokerTests {
    /// Whether `condition` holds within 5 s: for what the broker does asynchronously (requeues, dead-lettering).
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<50 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    static func topology(_ name: String, deliveryLimit: Int = 2) -> JobTopology {
        JobTopology(queue: "test.\(name).\(UUID().uuidString.prefix(6))", deliveryLimit: deliveryLimit)
    }

    @Test("published with confirms, consumed with manual acks: every message once, in order, then gone")
    func publishConsumeAck() async throws {
        let broker = try await RabbitMQServer.shared.value
        let topology = Self.topology("basic")
        let publisher = BrokerPublisher(address: broker.address, topology: topology)
        for index in 0..<20 { try await publisher.publish(Array("job \(index)".utf8), messageID: "j\(index)", header: ("inn", "7707083893")) }
        #expect(try await publisher.depth() == (20, 0))

        let consumer = BrokerConsumer(address: broker.address, topology: topology, prefetch: 5)
        var received: [BrokerMessage] = []
        for await delivery in consumer.deliveries {
            received.append(delivery.message)
            consumer.ack(delivery)
            if received.count == 20 { break }
        }
        #expect(received.map(\.messageID) == (0..<20).map { "j\($0)" })
        #expect(received.allSatisfy { $0.headers["inn"] == "7707083893" && $0.deliveryCount == 0 && !$0.redelivered })
        #expect(String(decoding: received[7].body, as: UTF8.self) == "job 7")
        await consumer.stop()

        // Acked means gone: a new consumer's first delivery is a message published after them.
        try await publisher.publish([1], messageID: "sentinel")
        let next = BrokerConsumer(address: broker.address, topology: topology, prefetch: 5)
        var first: BrokerMessage?
        for await delivery in next.deliveries {
            first = delivery.message
            next.ack(delivery)
            break
        }
        await next.stop()
        #expect(first?.messageID == "sentinel")
    }

    @Test("a poison message is dead-lettered after the delivery limit with its x-death reason; replayed it runs again; purged it is gone")
    func poisonMessage() async throws {
        let broker = try await RabbitMQServer.shared.value
        let topology = Self.topology("poison", deliveryLimit: 2)
        let publisher = BrokerPublisher(address: broker.address, topology: topology)
        try await publisher.publish(Array("crashes the worker".utf8), messageID: "poison")
        try await publisher.publish(Array("fine".utf8), messageID: "fine")

        let consumer = BrokerConsumer(address: broker.address, topology: topology, prefetch: 1)
        var poisonDeliveries: [Int] = []
        for await delivery in consumer.deliveries {
            if delivery.message.messageID == "poison" {
                poisonDeliveries.append(delivery.message.deliveryCount)
                consumer.reject(delivery, requeue: true)  // as a worker that keeps failing would
            } else {
                consumer.ack(delivery)
                break  // the good one comes after the poison one has been dead-lettered
            }
        }
        await consumer.stop()
        #expect(poisonDeliveries == [0, 1, 2])  // a limit of 2: three deliveries

        let dead = try await publisher.deadLetters()
        #expect(dead.map(\.messageID) == ["poison"])
        #expect(dead.first?.deathReason == "delivery_limit" && dead.first?.body == Array("crashes the worker".utf8))
        // Listing takes and puts back (AMQP has no peek); the broker makes them ready again shortly after.
        #expect(try await Self.eventually { try await publisher.depth() == (0, 1) })

        #expect(try await publisher.replayDeadLetters(ids: ["poison"]) == ["poison"])
        #expect(try await Self.eventually { try await publisher.depth() == (1, 0) })
        let again = BrokerConsumer(address: broker.address, topology: topology, prefetch: 1)
        for await delivery in again.deliveries {
            #expect(delivery.message.messageID == "poison" && delivery.message.deliveryCount == 0)
            again.reject(delivery, requeue: false)  // rejected outright: dead at once
            break
        }
        await again.stop()
        #expect(try await Self.eventually { try await publisher.deadLetters().first?.deathReason == "rejected" })
        #expect(try await publisher.purgeDeadLetters() == 1)
        #expect(try await publisher.depth() == (0, 0))
    }

    @Test("the broker restarts mid-stream: no confirmed message is lost, only unacked ones come again, and both sides reconnect")
    func restartMidStream() async throws {
        let broker = try await RabbitMQServer.shared.value
        let topology = Self.topology("restart", deliveryLimit: 5)
        let publisher = BrokerPublisher(address: broker.address, topology: topology)
        for index in 0..<50 { try await publisher.publish(Array("\(index)".utf8), messageID: "m\(index)") }

        let consumer = BrokerConsumer(address: broker.address, topology: topology, prefetch: 10)
        var acked: [String] = []
        var unacked: Set<String> = []
        var iterator = consumer.deliveries.makeAsyncIterator()
        // Twenty delivered: the first ten acked, the next ten still held when the broker goes down.
        while acked.count + unacked.count < 20, let delivery = await iterator.next() {
            if acked.count < 10 {
                consumer.ack(delivery)
                acked.append(delivery.message.messageID)
            } else {
                unacked.insert(delivery.message.messageID)
            }
        }
        await consumer.settled()
        try await broker.stop()
        try await broker.restart()

        // The publisher reconnects on its next call; the consumer on its own.
        for index in 50..<60 { try await publisher.publish(Array("\(index)".utf8), messageID: "m\(index)") }
        var redelivered: Set<String> = []
        while acked.count < 60, let delivery = await iterator.next() {
            let id = delivery.message.messageID
            if delivery.message.redelivered || delivery.message.deliveryCount > 0 { redelivered.insert(id) }
            consumer.ack(delivery)
            acked.append(id)
        }
        await consumer.stop()
        // Sixty deliveries acked and sixty distinct ids: none lost, none twice (the acked ten did not come back).
        #expect(Set(acked) == Set((0..<60).map { "m\($0)" }))
        #expect(redelivered == unacked)
    }
}
