internal import Synchronization

/// One address a name resolved to.
package struct ResolvedAddress: Sendable, Hashable, CustomStringConvertible {
    package var host: String
    package var port: Int

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Finds the addresses of a name (DNS); `BalancedTransport` asks it again from time to time.
package protocol AddressResolver: Sendable {
    /// Every address the name has now. Throws when the name cannot be resolved (the balancer then keeps the
    /// addresses it had).
    func resolve() async throws -> [ResolvedAddress]
    /// The name, for messages.
    var name: String { get }
}

/// A transport to one address that can say whether it is worth trying and can be closed.
package protocol SubchannelTransport: ClientTransport {
    /// False while its last connection attempt failed and it fails calls fast (backing off).
    var isAvailable: Bool { get }
    /// Closes its connection; calls still running on it fail.
    func close() async
}

/// Spreads calls over every address a resolver finds, in turn, over those that are available (all of them
/// when none is). The name is resolved at the first call, every `refreshInterval`, and soon after a call
/// finds an address unavailable. An address the resolver no longer gives takes no new calls and is closed
/// once its calls in flight have ended, so instances can leave without failing a call.
///
/// ```swift
/// let transport = BalancedTransport(resolver: DNSResolver(name: "analyzer-pods", port: 50052), refreshInterval: .seconds(30)) {
///     HTTP2ClientTransport(host: $0.host, port: $0.port)
/// }
/// ```
package final class BalancedTransport<Subchannel: SubchannelTransport>: ClientTransport {
    /// What changed, for the owner's log.
    package enum Event: Sendable {
        case resolved(added: [ResolvedAddress], removed: [ResolvedAddress], count: Int)
        case resolutionFailed(reason: String, keeping: Int)
        case drained(ResolvedAddress)
    }

    private final class Entry: Sendable {
        let address: ResolvedAddress
        let transport: Subchannel
        /// Calls running on it, and whether the resolver still gives its address.
        let state = Mutex<(inFlight: Int, removed: Bool)>((0, false))

        init(address: ResolvedAddress, transport: Subchannel) {
            self.address = address
            self.transport = transport
        }
    }

    private struct State {
        var active: [Entry] = []
        /// Removed from the resolution, waiting for their calls to end.
        var draining: [ResolvedAddress: Entry] = [:]
        var lastResolution: ContinuousClock.Instant?
        /// Why the last resolution found nothing, for the error of calls that have nowhere to go.
        var lastFailure: String?
        var resolving: Task<Void, Never>?
        var refresher: Task<Void, Never>?
        var closed = false
    }

    private let resolver: any AddressResolver
    private let refreshInterval: Duration
    private let makeTransport: @Sendable (ResolvedAddress) -> Subchannel
    private let report: @Sendable (Event) -> Void
    private let state = Mutex(State())
    private let next = Atomic<Int>(0)

    /// After an address fails, the name is resolved again, but not more often than this.
    static var minimumReResolution: Duration { .seconds(1) }

    package init(
        resolver: any AddressResolver, refreshInterval: Duration, report: @escaping @Sendable (Event) -> Void = { _ in },
        makeTransport: @escaping @Sendable (ResolvedAddress) -> Subchannel
    ) {
        self.resolver = resolver
        self.refreshInterval = refreshInterval
        self.makeTransport = makeTransport
        self.report = report
    }

    deinit {
        let (refresher, resolving) = state.withLock { ($0.refresher, $0.resolving) }
        refresher?.cancel()
        resolving?.cancel()
    }

    /// The addresses that take new calls now.
    package var addresses: [ResolvedAddress] { state.withLock { $0.active.map(\.address) } }

    package func withStream<Result: Sendable>(
        path: String,
        metadata: Metadata,
        deadline: ContinuousClock.Instant?,
        requests: RPCAsyncSequence<[UInt8]>,
        _ body: (RPCAsyncSequence<RPCResponsePart>) async throws -> Result
    ) async throws -> Result {
        let entry = try await pick()
        defer { finished(on: entry) }
        do {
            return try await entry.transport.withStream(path: path, metadata: metadata, deadline: deadline, requests: requests, body)
        } catch let error as RPCError where error.code == .unavailable {
            // An instance gone away: look for the current ones soon.
            if !entry.transport.isAvailable { resolveSoon() }
            throw error
        }
    }

    /// Stops refreshing and closes every connection.
    package func close() async {
        let entries = state.withLock { state in
            state.closed = true
            state.refresher?.cancel()
            state.resolving?.cancel()
            defer { state.active = []; state.draining = [:] }
            return state.active + Array(state.draining.values)
        }
        for entry in entries { await entry.transport.close() }
    }

    // MARK: Picking

    private func pick() async throws -> Entry {
        // With no address yet: resolve, or wait for the resolution under way; after a failure calls fail fast
        // for a moment rather than each asking DNS again.
        let mustResolve = state.withLock { state in
            state.active.isEmpty
                && (state.resolving != nil || state.lastResolution.map { .now - $0 >= Self.minimumReResolution } ?? true)
        }
        if mustResolve { await resolveNow() }
        let chosen = state.withLock { state -> Result<Entry, RPCError> in
            guard !state.closed else { return .failure(RPCError(.unavailable, "the transport to \(resolver.name) is closed")) }
            guard !state.active.isEmpty else {
                return .failure(RPCError(.unavailable, "cannot resolve \(resolver.name): \(state.lastFailure ?? "no addresses")"))
            }
            let available = state.active.filter { $0.transport.isAvailable }
            let candidates = available.isEmpty ? state.active : available
            let entry = candidates[next.wrappingAdd(1, ordering: .relaxed).oldValue % candidates.count]
            entry.state.withLock { $0.inFlight += 1 }
            return .success(entry)
        }
        return try chosen.get()
    }

    private func finished(on entry: Entry) {
        let drained = entry.state.withLock { entry in
            entry.inFlight -= 1
            return entry.removed && entry.inFlight == 0
        }
        if drained { retire(entry) }
    }

    private func retire(_ entry: Entry) {
        let retired = state.withLock { state in
            guard state.draining[entry.address] === entry else { return false }
            state.draining[entry.address] = nil
            return true
        }
        guard retired else { return }
        report(.drained(entry.address))
        Task { await entry.transport.close() }
    }

    // MARK: Resolving

    /// Resolves at once (or waits for the resolution under way), and starts the periodic refresh.
    private func resolveNow() async {
        let task = state.withLock { state -> Task<Void, Never>? in
            guard !state.closed else { return nil }
            if state.refresher == nil {
                let interval = refreshInterval
                state.refresher = Task { [weak self] in
                    while !Task.isCancelled {
                        try? await Task.sleep(for: interval)
                        guard let self, !Task.isCancelled else { return }
                        await self.resolveNow()
                    }
                }
            }
            if let running = state.resolving { return running }
            let task = Task { await self.resolve() }
            state.resolving = task
            return task
        }
        await task?.value
    }

    /// After a failure: resolve again unless that happened a moment ago.
    private func resolveSoon() {
        let due = state.withLock { state in
            state.resolving == nil && (state.lastResolution.map { .now - $0 >= Self.minimumReResolution } ?? true)
        }
        if due { Task { await self.resolveNow() } }
    }

    private func resolve() async {
        let result: Result<[ResolvedAddress], any Error>
        do {
            result = .success(try await resolver.resolve())
        } catch {
            result = .failure(error)
        }
        let (event, retired) = state.withLock { state -> (Event?, [Entry]) in
            defer {
                state.resolving = nil
                state.lastResolution = .now
            }
            // Closed while the resolver worked (DNS on the thread pool cannot be cancelled): open nothing.
            guard !state.closed else { return (nil, []) }
            let failure: String
            switch result {
            case .success(let addresses) where !addresses.isEmpty:
                state.lastFailure = nil
                let (added, removed, retired) = Self.apply(Self.unique(addresses), to: &state, makeTransport: makeTransport)
                let changed = !added.isEmpty || !removed.isEmpty
                return (changed ? .resolved(added: added, removed: removed, count: state.active.count) : nil, retired)
            case .success: failure = "the name has no addresses"
            case .failure(let error): failure = "\(error)"
            }
            state.lastFailure = failure
            return (.resolutionFailed(reason: failure, keeping: state.active.count), [])
        }
        if let event { report(event) }
        for entry in retired { retire(entry) }
    }

    /// Makes `addresses` the active set: new ones get a transport, ones that came back stop draining, ones
    /// gone start draining. Returns what changed and the entries already idle, to close.
    private static func apply(
        _ addresses: [ResolvedAddress], to state: inout State, makeTransport: (ResolvedAddress) -> Subchannel
    ) -> (added: [ResolvedAddress], removed: [ResolvedAddress], retired: [Entry]) {
        let wanted = Set(addresses)
        let current = Dictionary(state.active.map { ($0.address, $0) }, uniquingKeysWith: { first, _ in first })
        var active: [Entry] = []
        var added: [ResolvedAddress] = []
        for address in addresses {
            if let entry = current[address] {
                active.append(entry)
            } else if let entry = state.draining.removeValue(forKey: address) {
                entry.state.withLock { $0.removed = false }  // came back before it drained
                active.append(entry)
            } else {
                active.append(Entry(address: address, transport: makeTransport(address)))
                added.append(address)
            }
        }
        var removed: [ResolvedAddress] = []
        var retired: [Entry] = []
        for entry in state.active where !wanted.contains(entry.address) {
            removed.append(entry.address)
            state.draining[entry.address] = entry
            let idle = entry.state.withLock { entry in
                entry.removed = true
                return entry.inFlight == 0
            }
            if idle { retired.append(entry) }
        }
        state.active = active
        return (added, removed, retired)
    }

    private static func unique(_ addresses: [ResolvedAddress]) -> [ResolvedAddress] {
        var seen = Set<ResolvedAddress>()
        return addresses.filter { seen.insert($0).inserted }
    }
}
