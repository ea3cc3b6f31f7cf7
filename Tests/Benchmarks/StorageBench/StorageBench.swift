// storage-bench: drives a running storage service over RPC on loopback (HTTP/2, this project's client) and
// prints operations per second: cache Set and Get, and jobs through enqueue → lease → complete.
// `make bench` starts a release storage with a fresh SQLite file and runs this against it; with --rabbitmq it
// measures jobs through RabbitMQ instead (storage publishing with confirms, a consumer claiming).
import ArgumentParser
import Contracts
import Foundation
import RPCCore
import RPCHTTP2
import RabbitMQ
import Synchronization

@main
struct StorageBench: AsyncParsableCommand {
    @Option(help: "Port of the storage service on 127.0.0.1.") var port: Int = 0
    @Option(help: "Fill this SQLite database with --threads threads (one report each) and exit.") var seed: String?
    @Option(help: "Threads to seed, or (with --records) the count the database is expected to hold.") var threads = 1_000_000
    @Flag(help: "Measure thread list and search latency instead of cache and jobs.") var records = false
    @Option(help: "With --records: first store this many reports (one thread each) over RPC, on any backend, and report the rate.")
    var put = 0
    @Option(help: "Concurrent callers.") var concurrency = 32
    @Option(help: "Operations per cache run.") var cacheOperations = 40_000
    @Option(help: "Jobs through the queue.") var jobs = 4_000
    @Option(help: "Measure jobs through the RabbitMQ broker on this port of 127.0.0.1 (user cla, password cla-test; storage runs with features.queue_backend=rabbitmq).")
    var rabbitmq: Int?

    func run() async throws {
        if let seed {
            try Seed.run(path: seed, count: threads)
            return
        }
        let client = RPCClient(transport: HTTP2ClientTransport(host: "127.0.0.1", port: port))
        if records {
            if put > 0 {
                let time = try await measure(put) { i in try await Self.putReport(client, i) }
                report("put report (new thread each)", put, time, target: "none")
            }
            try await measureRecords(client)
            return
        }
        if let rabbitmq {
            try await measureBroker(client, address: BrokerAddress(host: "127.0.0.1", port: rabbitmq, user: "cla", password: "cla-test"))
            return
        }
        let value = [UInt8](repeating: 0x5A, count: 512)
        let keys = 2_000

        let set = try await measure(cacheOperations) { i in
            _ = try await client.unary(StorageV1.Cache.Method.Set.self, .with {
                $0.key = "bench:\(i % keys)"
                $0.value = value
                $0.ttlMs = 3_600_000
                $0.source = .dadata
            })
        }
        report("cache Set (512 B, \(keys) keys)", cacheOperations, set, target: "≥ 20000/s")
        let get = try await measure(cacheOperations) { i in
            let reply = try await client.unary(StorageV1.Cache.Method.Get.self, .with { $0.key = "bench:\(i % keys)" })
            guard reply.message.found else { throw RPCError(.internal, "bench:\(i % keys) missing") }
        }
        report("cache Get (hits)", cacheOperations, get, target: "≥ 20000/s")

        let worker = "bench-worker"
        let pipeline = try await measure(jobs) { i in
            _ = try await client.unary(StorageV1.Jobs.Method.Enqueue.self, .with { $0.request = .with { $0.inn = "7707083893" } })
            let leased = try await client.unary(StorageV1.Jobs.Method.Lease.self, .with {
                $0.worker = worker
                $0.visibilityTimeoutMs = 60_000
            }).message.jobs
            for job in leased {
                _ = try await client.unary(StorageV1.Jobs.Method.Complete.self, .with {
                    $0.jobId = job.id
                    $0.worker = worker
                    $0.reportId = "r\(i)"
                })
            }
        }
        report("jobs enqueue → lease → complete", jobs, pipeline, target: "≥ 2000/s")
    }

    /// The broker alone (publish with confirms, one at a time and in batches), then jobs end to end: enqueued
    /// in storage, published by its dispatcher with confirms, consumed, claimed, completed and acked.
    func measureBroker(_ client: RPCClient, address: BrokerAddress) async throws {
        let raw = BrokerPublisher(address: address, topology: JobTopology(queue: "bench.raw"))
        let single = 2_000
        let one = try await time { for i in 0..<single { try await raw.publish([0x31], messageID: "m\(i)") } }
        report("publish + confirm, one at a time", single, one, target: "—")
        let batched = 20_000
        let batches = try await time {
            for start in stride(from: 0, to: batched, by: 100) {
                try await raw.publish(batch: (start..<start + 100).map { ("b\($0)", [0x31]) })
            }
        }
        report("publish + confirm, batches of 100", batched, batches, target: "—")

        // The storage service's own queue (rabbitmq.queue, default cla.jobs): a consumer stands in for analyzers.
        let consumer = BrokerConsumer(address: address, topology: JobTopology(), prefetch: concurrency * 2)
        let worker = "bench-worker"
        let completed = Ticket()
        let elapsed = try await time {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    _ = try await measure(jobs) { _ in
                        _ = try await client.unary(StorageV1.Jobs.Method.Enqueue.self, .with { $0.request = .with { $0.inn = "7707083893" } })
                    }
                }
                group.addTask {
                    try await withThrowingTaskGroup(of: Void.self) { handlers in
                        var inFlight = 0
                        for await delivery in consumer.deliveries {
                            if inFlight >= concurrency {
                                try await handlers.next()
                                inFlight -= 1
                            }
                            inFlight += 1
                            handlers.addTask {
                                let id = delivery.message.messageID
                                let claimed = try await client.unary(StorageV1.Jobs.Method.Lease.self, .with {
                                    $0.worker = worker
                                    $0.jobId = id
                                    $0.visibilityTimeoutMs = 60_000
                                }).message.jobs
                                if !claimed.isEmpty {
                                    _ = try await client.unary(StorageV1.Jobs.Method.Complete.self, .with {
                                        $0.jobId = id
                                        $0.worker = worker
                                        $0.reportId = "r-\(id)"
                                    })
                                    _ = completed.take()
                                }
                                consumer.ack(delivery)
                            }
                        }
                        try await handlers.waitForAll()
                    }
                }
                group.addTask {
                    // The deliveries end when the consumer stops: once every job is done.
                    while completed.count < jobs { try await Task.sleep(for: .milliseconds(5)) }
                    await consumer.stop()
                }
                try await group.waitForAll()
            }
        }
        report("jobs enqueue → publish → claim → complete", jobs, elapsed, target: "≥ 2000/s")
        print("jobs completed: \(completed.count) of \(jobs)")
    }

    func time(_ body: () async throws -> Void) async throws -> Duration {
        let start = ContinuousClock.now
        try await body()
        return ContinuousClock.now - start
    }

    /// A report like the seeded ones (`Seed`): a new INN, a name of two of the seed's words, a summary.
    static func putReport(_ client: RPCClient, _ i: Int) async throws {
        let words = Seed.words, summaries = Seed.summaries
        let score = Double(i * 37 % 101)
        _ = try await client.unary(StorageV1.Reports.Method.PutReport.self, .with {
            $0.report = .with {
                $0.inn = String(format: "%010d", 2_000_000_000 + i)
                $0.clientName = "ООО \(words[i % words.count].capitalized)\(words[i / words.count % words.count]) \(i % 997)"
                $0.risk = .with { $0.score = score; $0.level = score < 25 ? .low : score < 50 ? .medium : score < 75 ? .high : .critical }
                $0.narrative = .with { $0.summary = summaries[i % summaries.count] }
            }
        })
    }

    /// p50 and p99 of single calls, one at a time, for listings and searches over the seeded threads, after
    /// a warm-up call per word.
    func measureRecords(_ client: RPCClient) async throws {
        let count = try await client.unary(StorageV1.Threads.Method.CountThreads.self, .init()).message.count
        print("threads in the database: \(count)")
        let cases: [(String, @Sendable (Int) async throws -> Int)] = [
            ("list, newest page of 50", { _ in
                try await client.unary(StorageV1.Threads.Method.ListThreads.self, .with { $0.page = .with { $0.pageSize = 50 } }).message.threads.count
            }),
            ("list, level high, page of 50", { _ in
                try await client.unary(StorageV1.Threads.Method.ListThreads.self, .with {
                    $0.filter = .with { $0.levels = [.high] }
                    $0.page = .with { $0.pageSize = 50 }
                }).message.threads.count
            }),
            ("list, name contains, page of 50", { i in
                try await client.unary(StorageV1.Threads.Method.ListThreads.self, .with {
                    $0.filter = .with { $0.nameContains = Seed.words[i % Seed.words.count] }
                    $0.page = .with { $0.pageSize = 50 }
                }).message.threads.count
            }),
            ("search one word, page of 50", { i in
                try await client.unary(StorageV1.Threads.Method.SearchThreads.self, .with {
                    $0.query = Seed.words[i % Seed.words.count]
                    $0.page = .with { $0.pageSize = 50 }
                }).message.threads.count
            }),
            ("search two words, page of 50", { i in
                try await client.unary(StorageV1.Threads.Method.SearchThreads.self, .with {
                    $0.query = "\(Seed.words[i % Seed.words.count]) ответчик"
                    $0.page = .with { $0.pageSize = 50 }
                }).message.threads.count
            }),
        ]
        for (name, call) in cases {
            // A service that has been up a while has its index pages in memory; a fresh process reading a
            // database the kernel has partly evicted would measure the disk. One untimed call per word first.
            for i in 0..<Seed.words.count { _ = try await call(i) }
            var latencies: [Duration] = []
            for i in 0..<200 {
                let start = ContinuousClock.now
                _ = try await call(i)
                latencies.append(ContinuousClock.now - start)
            }
            latencies.sort()
            let ms = { (d: Duration) in Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }
            let p50 = ms(latencies[latencies.count / 2]), p99 = ms(latencies[latencies.count * 99 / 100])
            print("\(name + String(repeating: " ", count: max(0, 36 - name.count))) p50 \(String(Double(Int(p50 * 100)) / 100)) ms   p99 \(String(Double(Int(p99 * 100)) / 100)) ms   (target p99 < 20 ms)")
        }
    }

    /// Runs `operations` calls over `concurrency` tasks; returns the wall time.
    func measure(_ operations: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws -> Duration {
        let next = Ticket()
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while true {
                        let i = next.take()
                        if i >= operations { return }
                        try await body(i)
                    }
                }
            }
            try await group.waitForAll()
        }
        return ContinuousClock.now - start
    }

    func report(_ name: String, _ operations: Int, _ time: Duration, target: String) {
        let seconds = Double(time.components.seconds) + Double(time.components.attoseconds) / 1e18
        let rate = Int(Double(operations) / seconds)
        print("\(name + String(repeating: " ", count: max(0, 36 - name.count))) \(String(rate).leftPad(8))/s   (\(operations) in \(String(Double(Int(seconds * 100)) / 100)) s; target \(target))")
    }
}

extension String {
    func leftPad(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}

/// Hands out 0, 1, 2, … to concurrent callers.
final class Ticket: Sendable {
    private let counter = Atomic<Int>(0)
    func take() -> Int { counter.add(1, ordering: .relaxed).oldValue }
    var count: Int { counter.load(ordering: .relaxed) }
}
