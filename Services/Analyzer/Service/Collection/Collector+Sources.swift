internal import ServiceKit
internal import Contracts

extension Collector {
    /// Asks one registry source (or its cache) and says how it went.
    func registry<Client: Sendable, Value: Sendable>(
        _ source: CommonV1.Source, asked: Bool, key: String, fresh: Bool, client: Client?,
        fetch: @Sendable (Client) async throws(ProviderFailure) -> Fetched<Value>,
        encode: (Value) throws -> [UInt8], decode: ([UInt8]) throws -> Value, count: (Value) -> Int
    ) async -> (Value?, CommonV1.SourceStatus) {
        var status = CommonV1.SourceStatus.with { $0.source = source }
        guard asked else {
            status.state = .disabled
            status.reason = "источник не запрошен"
            return (nil, status)
        }
        guard let client else {
            status.state = .notConfigured
            status.reason = ProviderFailure.notConfigured.description
            return (nil, status)
        }
        let start = ContinuousClock.now
        if !fresh, let (bytes, age) = await cache.get(key), let value = try? decode(bytes) {
            status.state = .cached
            status.cacheAgeMs = age
            status.fetchedAtMs = now() - age
            status.items = Int32(count(value))
            status.durationMs = Self.milliseconds(since: start)
            return (value, status)
        }
        do {
            let fetched = try await fetch(client)
            let value = fetched.value
            status.state = .ok
            status.attempts = Int32(fetched.attempts)
            status.items = Int32(count(value))
            status.fetchedAtMs = now()
            status.durationMs = Self.milliseconds(since: start)
            if !fetched.unanswered.isEmpty {
                // Parts that did not answer are unknown, not clean; and a partial answer is not cached.
                status.state = .partial
                status.queries = Int32(fetched.parts)
                status.queriesAnswered = Int32(fetched.parts - fetched.unanswered.count)
                status.reason = "ответили \(status.queriesAnswered) из \(fetched.parts) реестров; не ответили: "
                    + fetched.unanswered.joined(separator: ", ")
                return (value, status)
            }
            if let bytes = try? encode(value), !bytes.isEmpty { await cache.set(key, bytes, ttl: clients.ttl(source), source: source) }
            return (value, status)
        } catch {
            status.state = error.state
            status.reason = error.description
            if case .circuitOpen(let since) = error { status.unavailableSinceMs = since }
            status.attempts = Int32(error.attempts)
            status.durationMs = Self.milliseconds(since: start)
            return (nil, status)
        }
    }

    /// What a registry source answered: the value, the attempts it took, and, for a source that asks several
    /// parts at once (InfoSphere's registries), the parts that did not answer out of how many were asked.
    struct Fetched<Value: Sendable>: Sendable {
        var value: Value
        var attempts: Int
        var unanswered: [String] = []
        var parts = 0
    }

    /// Runs the search intents through Tavily and Perplexity, at most `webConcurrency` at a time, and merges the
    /// outcome per source: ok when every search answered, partial when some did, otherwise the first failure.
    func webSearch(
        _ intents: [SearchIntents.Intent], question: SearchIntents.Intent, askTavily: Bool, askPerplexity: Bool, freshTavily: Bool,
        freshPerplexity: Bool
    ) async -> WebResult {
        func asked(_ source: CommonV1.Source) -> Bool { source == .tavily ? askTavily : askPerplexity }
        struct Outcome: Sendable {
            var source: CommonV1.Source
            var mentions: [CommonV1.WebMention] = []
            var answer = ""
            var status: CommonV1.SourceStatus
        }
        var jobs: [@Sendable () async -> Outcome] = []
        // Perplexity first: its one answer is the slowest, so it must not queue behind the searches.
        if askPerplexity, let perplexity = clients.perplexity {
            let refresh = freshPerplexity
            jobs.append {
                let (value, status) = await registry(
                    .perplexity, asked: true, key: "perplexity:" + SearchIntents.key(question), fresh: refresh, client: perplexity,
                    fetch: { (client: PerplexityClient) async throws(ProviderFailure) in
                        let (mentions, answer, attempts) = try await client.ask(question.query, intent: question.kind)
                        return Fetched(value: AnalyzerV1.WebMentionList.with { $0.mentions = mentions; $0.answer = answer }, attempts: attempts)
                    },
                    encode: { try $0.serializedBytes() }, decode: { try AnalyzerV1.WebMentionList(serializedBytes: $0) },
                    count: { $0.mentions.count })
                return Outcome(source: .perplexity, mentions: value?.mentions ?? [], answer: value?.answer ?? "", status: status)
            }
        }
        if askTavily, let tavily = clients.tavily {
            let refresh = freshTavily
            for intent in intents {
                jobs.append {
                    let (value, status) = await registry(
                        .tavily, asked: true, key: "tavily:" + SearchIntents.key(intent), fresh: refresh, client: tavily,
                        fetch: { (client: TavilyClient) async throws(ProviderFailure) in
                            let (mentions, _, attempts) = try await client.search(intent.query, intent: intent.kind)
                            return Fetched(value: mentions, attempts: attempts)
                        },
                        encode: { mentions in try AnalyzerV1.WebMentionList.with { $0.mentions = mentions }.serializedBytes() },
                        decode: { try AnalyzerV1.WebMentionList(serializedBytes: $0).mentions }, count: { $0.count })
                    return Outcome(source: .tavily, mentions: value ?? [], status: status)
                }
            }
        }
        var outcomes: [Outcome] = []
        var cut = false
        let budget = webBudget
        await withTaskGroup(of: Outcome?.self) { group in
            var pending = jobs[...]
            var running = 0
            // The whole web search has a time budget: slow or silent providers cannot hold the analysis for
            // attempts × timeout × rounds. What has not answered by then is cut off.
            group.addTask {
                try? await Task.sleep(for: budget)
                return nil
            }
            // `webConcurrency` searches at once, plus Perplexity's single question beside them.
            let width = webConcurrency + (jobs.count > intents.count ? 1 : 0)
            for _ in 0..<min(width, pending.count) {
                let job = pending.removeFirst()
                group.addTask { await job() }
                running += 1
            }
            for await outcome in group {
                guard let outcome else {
                    cut = running > 0 || !pending.isEmpty
                    group.cancelAll()
                    break
                }
                outcomes.append(outcome)
                running -= 1
                if let job = pending.popFirst() {
                    group.addTask { await job() }
                    running += 1
                } else if running == 0 {
                    group.cancelAll()  // done: stop the budget's timer
                    break
                }
            }
        }
        let cutReason = "веб-поиск не уложился в \(budget.components.seconds) с"
        var statuses: [CommonV1.SourceStatus] = []
        for source in [CommonV1.Source.tavily, .perplexity] {
            let own = outcomes.filter { $0.source == source }.map(\.status)
            let client: (any Sendable)? = source == .tavily ? clients.tavily : clients.perplexity
            if own.isEmpty, cut, asked(source), client != nil {
                statuses.append(.with {
                    $0.source = source
                    $0.state = .timeout
                    $0.reason = cutReason
                })
                continue
            }
            guard !own.isEmpty else {
                statuses.append(.with {
                    $0.source = source
                    $0.state = !asked(source) ? .disabled : client == nil ? .notConfigured : .ok
                    $0.reason = !asked(source) ? "источник не запрошен" : client == nil ? ProviderFailure.notConfigured.description : ""
                })
                continue
            }
            let expected = source == .tavily ? intents.count : 1
            var merged = Self.merge(own, expected: expected)
            if cut, own.count < expected {
                merged.reason = [merged.reason, "часть запросов прервана: \(cutReason)"].filter { !$0.isEmpty }.joined(separator: "; ")
            }
            statuses.append(merged)
        }
        var seen = Set<String>()
        let mentions = outcomes.flatMap(\.mentions).filter { mention in mention.url.isEmpty || seen.insert(mention.url).inserted }
        return WebResult(mentions: mentions, statuses: statuses, answers: outcomes.map(\.answer).filter { !$0.isEmpty })
    }

    struct WebResult: Sendable {
        var mentions: [CommonV1.WebMention]
        var statuses: [CommonV1.SourceStatus]
        var answers: [String]
    }

    /// One status for the `expected` calls to a source, of which `statuses` finished: answered (cached only if
    /// all answered from the cache) when every call answered; partial, with the counts, when some did; else the
    /// first failure. Counts and times summed.
    static func merge(_ statuses: [CommonV1.SourceStatus], expected: Int) -> CommonV1.SourceStatus {
        let answered = statuses.filter(\.state.answered)
        let queries = max(expected, statuses.count)
        var merged = answered.first ?? statuses[0]
        if answered.isEmpty {
            merged.state = statuses[0].state
        } else if answered.count < queries {
            merged.state = .partial
        } else {
            merged.state = answered.allSatisfy { $0.state == .cached } ? .cached : .ok
        }
        merged.queries = Int32(queries)
        merged.queriesAnswered = Int32(answered.count)
        merged.items = statuses.map(\.items).reduce(0, +)
        merged.attempts = statuses.map(\.attempts).reduce(0, +)
        merged.durationMs = statuses.map(\.durationMs).max() ?? 0
        merged.cacheAgeMs = answered.map(\.cacheAgeMs).max() ?? 0
        merged.unavailableSinceMs = statuses.map(\.unavailableSinceMs).filter { $0 > 0 }.min() ?? 0
        if !answered.isEmpty, answered.count < queries {
            let failure = statuses.first { $0.state != .ok && $0.state != .cached }?.reason ?? ""
            merged.reason = "ответил на \(answered.count) из \(queries) запросов" + (failure.isEmpty ? "" : "; остальные: \(failure)")
        }
        return merged
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int64 {
        (ContinuousClock.now - start).milliseconds
    }
}
