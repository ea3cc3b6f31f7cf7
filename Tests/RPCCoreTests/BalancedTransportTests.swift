import Contracts
import RPCCore
import RPCInProcess
import Synchronization
import Testing

/// A resolver whose answer the test sets.
private final class ScriptedResolver: AddressResolver {
    let answer = Mutex<Result<[ResolvedAddress], RPCError>>(.success([]))
    let calls = Mutex(0)
    var name: String { "dns:///instances.test:50052" }

    func set(_ hosts: [String]) { answer.withLock { $0 = .success(hosts.map { ResolvedAddress(host: $0, port: 50052) }) } }
    func fail(_ reason: String) { answer.withLock { $0 = .failure(RPCError(.unavailable, reason)) } }

    func resolve() async throws -> [ResolvedAddress] {
        calls.withLock { $0 += 1 }
        return try answer.withLock { $0 }.get()
    }
}

/// An in-process transport to one "instance", counting closes and available unless told otherwise.
private final class Instance: SubchannelTransport {
    let base: InProcessTransport.Client
    let closes = Mutex(0)
    let available = Mutex(true)

    init(base: InProcessTransport.Client) { self.base = base }

    var isAvailable: Bool { available.withLock { $0 } }
    func close() async { closes.withLock { $0 += 1 } }

    func withStream<Result: Sendable>(
        path: String, metadata: Metadata, deadline: ContinuousClock.Instant?, requests: RPCAsyncSequence<[UInt8]>,
        _ body: (RPCAsyncSequence<RPCResponsePart>) async throws -> Result
    ) async throws -> Result {
        try await base.withStream(path: path, metadata: metadata, deadline: deadline, requests: requests, body)
    }
}

/// What the balancer reported.
private final class EventLog: Sendable {
    let lines = Mutex<[String]>([])
    func add(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

/// Holds UnaryCall handlers until opened.
private final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    let arrived = Mutex(0)

    func wait() async {
        arrived.withLock { $0 += 1 }
        await withCheckedContinuation { continuation in
            let open = state.withLock { state in
                if !state.open { state.waiters.append(continuation) }
                return state.open
            }
            if open { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            defer { state = (true, []) }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

@Suite("Balancing over resolved addresses")
struct BalancedTransportTests {
    /// Servers a, b, c: GetInfo answers the instance's name; UnaryCall waits at the gate.
    fileprivate static func withInstances(
        _ body: (_ transport: BalancedTransport<Instance>, _ resolver: ScriptedResolver, _ instances: [String: Instance], _ gate: Gate,
                 _ events: EventLog) async throws -> Void
    ) async throws {
        let gate = Gate()
        var servers: [RPCServer] = []
        var instances: [String: Instance] = [:]
        for name in ["a", "b", "c"] {
            var router = RPCRouter()
            router.registerUnary(OpsV1.Ops.Method.GetInfo.self) { _, _ in ServerResponse(.with { $0.name = name }) }
            router.registerUnary(GrpcTesting.TestService.Method.UnaryCall.self) { _, _ in
                await gate.wait()
                return ServerResponse(.with { $0.username = name })
            }
            let transport = InProcessTransport()
            servers.append(RPCServer(transport: transport.server, router: router))
            instances[name] = Instance(base: transport.client)
        }
        let resolver = ScriptedResolver()
        let events = EventLog()
        let found = instances
        let balanced = BalancedTransport(
            resolver: resolver, refreshInterval: .milliseconds(20),
            report: { event in events.add("\(event)") }
        ) { address in found[address.host]! }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for server in servers { group.addTask { try await server.serve() } }
            defer {
                gate.open()
                for server in servers { server.beginGracefulShutdown() }
            }
            try await body(balanced, resolver, instances, gate, events)
        }
    }

    static func names(_ client: RPCClient, calls: Int) async throws -> [String] {
        var names: [String] = []
        for _ in 0..<calls {
            names.append(try await client.unary(OpsV1.Ops.Method.GetInfo.self, .init(), timeout: .seconds(10)).message.name)
        }
        return names
    }

    static func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw RPCError(.deadlineExceeded, "timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test("calls go to every resolved address in turn")
    func roundRobin() async throws {
        try await Self.withInstances { transport, resolver, _, _, _ in
            resolver.set(["a", "b", "c"])
            let names = try await Self.names(RPCClient(transport: transport), calls: 9)
            #expect(Dictionary(grouping: names, by: { $0 }).mapValues(\.count) == ["a": 3, "b": 3, "c": 3])
        }
    }

    @Test("an address that appears takes calls; one that goes finishes its call in flight, takes no new ones, and is closed")
    func addAndDrain() async throws {
        try await Self.withInstances { transport, resolver, instances, gate, events in
            resolver.set(["a", "b"])
            let client = RPCClient(transport: transport)
            #expect(Set(try await Self.names(client, calls: 4)) == ["a", "b"])

            // Two held calls, one on each instance; then b leaves the resolution.
            let held = Task {
                try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<2 {
                        group.addTask {
                            try await client.unary(GrpcTesting.TestService.Method.UnaryCall.self, .init(), timeout: .seconds(10)).message.username
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            try await Self.waitUntil("both calls running") { gate.arrived.withLock { $0 } == 2 }
            resolver.set(["a", "c"])
            try await Self.waitUntil("the new resolution") { Set(transport.addresses.map(\.host)) == ["a", "c"] }
            #expect(Set(try await Self.names(client, calls: 6)) == ["a", "c"])
            #expect(instances["b"]!.closes.withLock { $0 } == 0)  // its call is still running

            gate.open()
            #expect(Set(try await held.value) == ["a", "b"])
            try await Self.waitUntil("b closed") { instances["b"]!.closes.withLock { $0 } == 1 }
            #expect(instances["a"]!.closes.withLock { $0 } == 0)
            #expect(events.all.contains("drained(b:50052)"), "\(events.all)")
        }
    }

    @Test("an unavailable address is skipped while others are available, and used when none is")
    func skipsUnavailable() async throws {
        try await Self.withInstances { transport, resolver, instances, _, _ in
            resolver.set(["a", "b"])
            let client = RPCClient(transport: transport)
            _ = try await Self.names(client, calls: 1)
            instances["a"]!.available.withLock { $0 = false }
            #expect(Set(try await Self.names(client, calls: 4)) == ["b"])
            instances["b"]!.available.withLock { $0 = false }
            #expect(Set(try await Self.names(client, calls: 4)) == ["a", "b"])
        }
    }

    @Test("a failed resolution keeps the addresses; with none yet, calls fail UNAVAILABLE with the reason")
    func failures() async throws {
        try await Self.withInstances { transport, resolver, _, _, events in
            resolver.fail("the DNS server did not answer")
            let client = RPCClient(transport: transport)
            let error = await #expect(throws: RPCError.self) {
                try await client.unary(GrpcTesting.TestService.Method.UnaryCall.self, .init(), timeout: .seconds(10))
            }
            #expect(error?.code == .unavailable)
            #expect(error?.message == "cannot resolve dns:///instances.test:50052: UNAVAILABLE: the DNS server did not answer")

            resolver.set(["c"])
            try await Self.waitUntil("resolved") { transport.addresses.map(\.host) == ["c"] }
            resolver.fail("the DNS server did not answer")
            let before = resolver.calls.withLock { $0 }
            try await Self.waitUntil("resolved again") { resolver.calls.withLock { $0 } > before + 2 }
            #expect(try await Self.names(client, calls: 2) == ["c", "c"])
            resolver.set([])
            let empty = resolver.calls.withLock { $0 }
            try await Self.waitUntil("resolved to nothing") { resolver.calls.withLock { $0 } > empty + 2 }
            #expect(transport.addresses.map(\.host) == ["c"])
            #expect(events.all.contains { $0.contains("resolutionFailed") && $0.contains("no addresses") })
        }
    }
}
