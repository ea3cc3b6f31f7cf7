import Analyzer
import BackendTestSupport
import Contracts
import Foundation
import RPCCore
import RabbitMQ
import Testing

/// The whole stack with `features.queue_backend: rabbitmq` against a real broker of its own (so that other
/// suites' broker restarts do not touch it): storage publishes due jobs, the analyzer consumes and claims
/// them, and the gateway's dead-letter admin shows and clears what RabbitMQ dead-lettered.
@Suite("Gateway with RabbitMQ", .serialized, .timeLimit(.minutes(3)))
struct GatewayBrokerTests {
    private typealias Analyses = GatewayV1.Analyses.Method
    private typealias Threads = GatewayV1.Threads.Method
    private typealias Admin = GatewayV1.Admin.Method

    static let inn = "7705123452"  // the sandbox's clean company
    static let broker = Task { try await RabbitMQServer() }

    /// Storage's and the analyzer's settings for a queue of the test's own.
    static func settings(_ broker: RabbitMQServer, queue: String, deliveryLimit: Int = 5) -> [String: String] {
        [
            "CLA_FEATURES_QUEUE_BACKEND": "rabbitmq", "CLA_RABBITMQ_ADDRESS": "127.0.0.1:\(broker.amqpPort)", "CLA_RABBITMQ_USER": "cla",
            "CLA_RABBITMQ_PASSWORD": "cla-test", "CLA_RABBITMQ_QUEUE": queue, "CLA_RABBITMQ_DELIVERY_LIMIT": String(deliveryLimit),
        ]
    }

    static func queueName(_ test: String) -> String { "test.\(test).\(UUID().uuidString.prefix(6))" }

    /// Whether `condition` holds within 10 s.
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<100 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test("analyses go through RabbitMQ: every job succeeds with one report version, and no message is left behind")
    func analysesThroughBroker() async throws {
        let broker = try await Self.broker.value
        let queue = Self.queueName("stack")
        let settings = Self.settings(broker, queue: queue)
        try await InProcessStack.run(storage: settings, analyzer: settings) { stack in
            let jobs = try await withThrowingTaskGroup(of: CommonV1.Job.self) { group in
                for _ in 0..<4 { group.addTask { try await stack.analyse(Self.inn, force: true) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(jobs.allSatisfy { $0.state == .succeeded && $0.attempts == 1 && !$0.reportId.isEmpty })
            #expect(Set(jobs.map(\.reportId)).count == 4)
            let thread = try await stack.gateway.unary(Threads.GetThread.self, .with { $0.key = .inn(Self.inn) }, metadata: stack.admin).message
            #expect(thread.reports.map(\.version).sorted() == [1, 2, 3, 4])

            let publisher = BrokerPublisher(address: broker.address, topology: JobTopology(queue: queue))
            #expect(try await Self.eventually { try await publisher.depth() == (0, 0) })
        }
    }

    @Test("a job storage dead-letters is rejected into RabbitMQ's DLQ (x-death rejected): listed by the gateway, replayed through the broker, purged from both")
    func deadLetters() async throws {
        let broker = try await Self.broker.value
        let queue = Self.queueName("dlq")
        let settings = Self.settings(broker, queue: queue)
        try await InProcessStack.run(storage: settings.merging(["CLA_JOBS_MAX_ATTEMPTS": "1"]) { $1 }, analyzerRuns: false) { stack in
            let gateway = stack.gateway, admin = stack.admin
            // The test is the worker: the analyzer's own RabbitMQ queue, failing every job.
            let consumer = BrokerConsumer(address: broker.address, topology: JobTopology(queue: queue), prefetch: 2)
            let worker = BrokerJobQueue(consumer: consumer, storage: StorageJobQueue(client: stack.storage))
            let publisher = BrokerPublisher(address: broker.address, topology: JobTopology(queue: queue))

            let submitted = try await gateway.unary(Analyses.Submit.self, .with { $0.request = .with { $0.inn = Self.inn } }, metadata: admin).message
            let id = try #require(submitted.job?.id)
            let leased = try await worker.lease(worker: "test", max: 1, visibility: .seconds(30), wait: .seconds(10))
            #expect(leased.map(\.id) == [id] && leased.first?.state == .running)
            let failed = try await worker.fail(jobID: id, worker: "test", error: "провайдер недоступен", retriable: true)
            #expect(failed.state == .dead)
            await consumer.settled()
            #expect(try await Self.eventually { try await publisher.depth().dead == 1 })

            let letters = try await gateway.unary(Admin.ListDeadLetters.self, .init(), metadata: admin).message.deadLetters
            #expect(letters.map(\.jobId) == [id])
            #expect(letters.first?.backend == "rabbitmq")
            #expect(letters.first?.errors.contains { $0.contains("rejected") } == true)

            // Replayed: storage queues it again and publishes it anew; the dead message is gone.
            let replayed = try await gateway.unary(Admin.ReplayDeadLetters.self, .with { $0.jobIds = [id] }, metadata: admin).message.jobs
            #expect(replayed.map(\.state) == [.queued])
            #expect(try await publisher.depth().dead == 0)
            let again = try await worker.lease(worker: "test", max: 1, visibility: .seconds(30), wait: .seconds(10))
            #expect(again.map(\.id) == [id] && again.first?.attempts == 1)
            #expect(try await worker.fail(jobID: id, worker: "test", error: "снова", retriable: true).state == .dead)
            await consumer.settled()
            #expect(try await Self.eventually { try await publisher.depth().dead == 1 })

            let purged = try await gateway.unary(Admin.PurgeDeadLetters.self, .with { $0.all = true }, metadata: admin).message
            #expect(purged.purged == 1)
            #expect(try await gateway.unary(Admin.ListDeadLetters.self, .init(), metadata: admin).message.deadLetters.isEmpty)
            #expect(try await publisher.depth() == (0, 0))
            await worker.stop()
        }
    }

    @Test("a broker restart mid-stream, with jobs submitted while it is down: every job still succeeds, each with exactly one report version")
    func brokerRestart() async throws {
        let broker = try await Self.broker.value
        let queue = Self.queueName("restart")
        let settings = Self.settings(broker, queue: queue)
        try await InProcessStack.run(storage: settings, analyzer: settings) { stack in
            let gateway = stack.gateway, admin = stack.admin
            var ids: [String] = []
            for index in 0..<6 {
                let job = try await gateway.unary(Analyses.Submit.self, .with {
                    $0.request = .with { $0.inn = Self.inn }
                    $0.idempotencyKey = "restart-\(index)"
                }, metadata: admin).message.job
                ids.append(try #require(job?.id))
                // Three jobs in flight when the broker stops; three more recorded (not published) while it is down.
                if index == 2 { try await broker.stop() }
            }
            try await broker.restart()
            var finished: [CommonV1.Job] = []
            for id in ids { finished.append(try await stack.finished(id)) }
            #expect(finished.map(\.state) == Array(repeating: .succeeded, count: 6))
            let thread = try await gateway.unary(Threads.GetThread.self, .with { $0.key = .inn(Self.inn) }, metadata: admin).message
            #expect(thread.reports.map(\.version).sorted() == Array(1...6))
            #expect(Set(thread.reports.map(\.id)) == Set(finished.map(\.reportId)))
        }
    }
}
