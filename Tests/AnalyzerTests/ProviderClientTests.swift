@testable import Analyzer
import Contracts
import ProviderSandbox
import Synchronization
import Testing

/// Every provider client against the sandbox's real wire formats: the happy path and each fault.
@Suite("Provider clients")
struct ProviderClientTests {
    @Test("DaData: the card of a known INN, nothing for an unknown one, 401 without a retry")
    func dadata() async throws {
        try await withSandbox { base in
            let client = DaDataClient(caller: caller(.dadata, base: base, path: "/dadata"), apiKey: "key")
            let (card, attempts) = try await client.company(inn: "5402987650")
            #expect(attempts == 1)
            #expect(card?.shortName == "АО \"СИБСТРОЙМОНТАЖ\"")
            #expect(card?.status == .bankrupt)
            #expect(card?.ogrn == "1045402123458")
            #expect(card?.registrationDate == "2004-07-21")
            #expect(card?.head?.name == "Кузнецов Игорь Викторович")
            #expect(card?.head?.post == "Генеральный директор")
            #expect(card?.capitalKopecks == 1_000_000_000)
            #expect(card?.finances.first?.debtKopecks == 2_340_000_000)
            #expect(card?.head?.disqualified == nil)  // the source does not say: absent, not false
            #expect(try await client.company(inn: "3900123459").card == nil)
            let disqualified = try await client.company(inn: "6670112230").card
            #expect(disqualified?.head?.disqualified == true)
        }
        try await withSandbox(SandboxBehaviour(faults: [.dadata: .status(401)])) { base in
            let client = DaDataClient(caller: caller(.dadata, base: base, path: "/dadata"), apiKey: "bad")
            await #expect(throws: ProviderFailure.http(status: 401, attempts: 1)) { try await client.company(inn: "7705123452") }
        }
    }

    @Test("Casebook: every page up to the cap; a failed page fails the source")
    func casebook() async throws {
        try await withSandbox { base in
            let all = CasebookClient(caller: caller(.casebook, base: base, path: "/casebook"), apiKey: "key", pageSize: 20)
            let (cases, total, attempts) = try await all.cases(inn: "7728456786")
            #expect(cases.count == 64)
            #expect(total == 64)
            #expect(attempts == 4)
            #expect(cases.allSatisfy { !$0.number.isEmpty && $0.role == .defendant && $0.claimKopecks != nil })
            let capped = CasebookClient(caller: caller(.casebook, base: base, path: "/casebook"), apiKey: "key", pageSize: 20, maxPages: 2)
            let (some, reported, _) = try await capped.cases(inn: "7728456786")
            #expect(some.count == 40)
            #expect(reported == 64)
            let bankrupt = try await all.cases(inn: "5402987650").cases
            #expect(bankrupt.first { $0.bankruptcy }?.number == "А45-9876/2025")
            // The partial-data company's court look-up always fails with 503: three attempts, then an error.
            await #expect(throws: ProviderFailure.http(status: 503, attempts: 3)) { try await all.cases(inn: "5026112237") }
        }
    }

    @Test("InfoSphere: records become interpreted hits; a malformed answer is an error, not 'nothing found'")
    func infosphere() async throws {
        try await withSandbox { base in
            let client = InfoSphereClient(caller: caller(.infosphere, base: base, path: "/infosphere"), login: "user", password: "secret")
            let (hits, failed, _) = try await client.check(inn: "5402987650")
            #expect(failed.isEmpty)
            #expect(Set(hits.map(\.kind)) == [.bankruptcy, .enforcement, .taxDebt])
            #expect(hits.first { $0.kind == .enforcement }?.amountKopecks == 127_540_000)
            #expect(hits.first { $0.kind == .enforcement }?.title == "Задолженность по исполнительному листу, № 48213/25/54007-ИП")
            #expect(Set(try await client.check(inn: "2634778891").hits.map(\.kind)) == [.massAddress, .massDirector])
            #expect(try await client.check(inn: "7705123452").hits.isEmpty)
            let anonymous = InfoSphereClient(caller: caller(.infosphere, base: base, path: "/infosphere"), login: "", password: "")
            await #expect(throws: ProviderFailure.provider("Неверный логин или пароль")) { try await anonymous.check(inn: "7705123452") }
        }
        try await withSandbox(SandboxBehaviour(faults: [.infosphere: .malformed])) { base in
            let client = InfoSphereClient(caller: caller(.infosphere, base: base, path: "/infosphere"), login: "user", password: "secret")
            let error = await #expect(throws: ProviderFailure.self) { try await client.check(inn: "5402987650") }
            #expect(error?.state == .error)
            #expect(error?.description.hasPrefix("ответ в неожиданном формате") == true)
        }
    }

    @Test("Tavily and Perplexity: mentions with links and a judged tone")
    func webSearch() async throws {
        try await withSandbox { base in
            let tavily = TavilyClient(caller: caller(.tavily, base: base, path: "/tavily"), apiKey: "tvly-key")
            let (mentions, _, _) = try await tavily.search("АО СИБСТРОЙМОНТАЖ банкротство", intent: .court)
            #expect(mentions.count == 1)
            #expect(mentions.first?.sentiment == .negative)
            #expect(mentions.first?.url == "https://ngs.ru/text/business/2025/04/03/sibstroy")
            #expect(mentions.first?.intent == .court)
            #expect(try await tavily.search("ООО СЕВЕРНЫЙ ВЕТЕР", intent: .news).mentions.first?.sentiment == .positive)
            #expect(try await tavily.search("ООО НЕИЗВЕСТНАЯ", intent: .news).mentions.isEmpty)

            let perplexity = PerplexityClient(caller: caller(.perplexity, base: base, path: "/perplexity"), apiKey: "pplx-key")
            let answer = try await perplexity.ask("Что известно о компании ГРУЗОВИК-М, ИНН 7728456786?", intent: .reputation)
            #expect(answer.mentions.map(\.url) == ["https://www.kommersant.ru/doc/7100001"])
            #expect(answer.mentions.first?.sentiment == .negative)
            #expect(answer.answer.contains("[1]"))

            let agent = PerplexityClient(caller: caller(.perplexity, base: base, path: "/perplexity"), apiKey: "pplx-key", api: .agent)
            let agentAnswer = try await agent.ask("Что известно о компании ГРУЗОВИК-М, ИНН 7728456786?", intent: .reputation)
            #expect(agentAnswer.mentions.map(\.url) == answer.mentions.map(\.url))
            #expect(agentAnswer.answer == answer.answer)
        }
    }

    @Test("retries: a flaky provider succeeds on a later attempt; Retry-After is honoured; 4xx is not retried")
    func retries() async throws {
        try await withSandbox(SandboxBehaviour(faults: [.dadata: .flaky(times: 2), .tavily: .retryAfter(seconds: 2)])) { base in
            let client = DaDataClient(caller: caller(.dadata, base: base, path: "/dadata"), apiKey: "key")
            let (card, attempts) = try await client.company(inn: "7705123452")
            #expect(card != nil)
            #expect(attempts == 3)

            let sleeps = SleepRecorder()
            let tavily = TavilyClient(caller: caller(.tavily, base: base, path: "/tavily", sleeps: sleeps), apiKey: "tvly-key")
            await #expect(throws: ProviderFailure.http(status: 429, attempts: 3)) { try await tavily.search("СЕВЕРНЫЙ ВЕТЕР", intent: .news) }
            #expect(await sleeps.sleeps == [.seconds(2), .seconds(2)])
        }
    }

    @Test("a provider that does not answer in time is a timeout after the retry budget")
    func timeout() async throws {
        try await withSandbox(SandboxBehaviour(faults: [.perplexity: .timeout], timeoutSeconds: 3)) { base in
            let client = PerplexityClient(
                caller: caller(.perplexity, base: base, path: "/perplexity", attempts: 2, timeout: .milliseconds(200)), apiKey: "key")
            let error = await #expect(throws: ProviderFailure.self) { try await client.ask("СЕВЕРНЫЙ ВЕТЕР", intent: .news) }
            #expect(error == .timeout(attempts: 2))
            #expect(error?.state == .timeout)
        }
    }

    @Test("the circuit breaker opens after repeated failures and then spares the provider")
    func breaker() async throws {
        let behaviour = SandboxBehaviour(faults: [.casebook: .status(500)])
        try await withSandbox(behaviour) { base in
            let breaker = CircuitBreaker(threshold: 2, coolDown: .seconds(60))
            let client = CasebookClient(caller: caller(.casebook, base: base, path: "/casebook", attempts: 1, breaker: breaker), apiKey: "key")
            for _ in 0..<2 {
                await #expect(throws: ProviderFailure.http(status: 500, attempts: 1)) { try await client.cases(inn: "7705123452") }
            }
            #expect(breaker.label == "open")
            let refused = await #expect(throws: ProviderFailure.self) { try await client.cases(inn: "7705123452") }
            guard case .circuitOpen(let since)? = refused else { Issue.record("not circuit_open: \(String(describing: refused))"); return }
            #expect(since > 0 && refused?.description.contains("провайдер недоступен с ") == true)
            #expect(behaviour.requestCounts[.casebook] == 2)  // the third call never left the analyzer
        }
    }

    @Test("a breaker lets one trial through after its cool-down and closes on success")
    func breakerStates() {
        let clock = TestClock()
        let breaker = CircuitBreaker(threshold: 1, coolDown: .seconds(30), now: { clock.now })
        breaker.record(success: false)
        #expect(!breaker.allow().allowed)
        clock.advance(.seconds(31))
        #expect(breaker.allow().allowed)
        #expect(breaker.label == "half_open")
        #expect(!breaker.allow().allowed)  // only one trial at a time
        breaker.record(success: true)
        #expect(breaker.label == "closed")
    }

    @Test("one company's failures never open a breaker; failures for a second company do, recording since when")
    func breakerScope() {
        let breaker = CircuitBreaker(threshold: 3, coolDown: .seconds(30), wallClock: { 1_700_000_000_000 })
        ProviderSubject.$current.withValue("7705123452") {
            for _ in 0..<10 { breaker.record(success: false) }
        }
        #expect(breaker.label == "closed")
        #expect(breaker.allow().allowed)
        ProviderSubject.$current.withValue("7728456786") { breaker.record(success: false) }
        #expect(breaker.label == "open")
        #expect(breaker.allow() == (false, 1_700_000_000_000))
        let failure = ProviderFailure.circuitOpen(since: 1_700_000_000_000)
        #expect(failure.description.hasPrefix("провайдер недоступен с 2023-11-14 22:13:20 UTC"))
    }

    @Test("tone from word stems")
    func sentiment() {
        #expect(Sentiment.of("Суд ввёл наблюдение, кредиторы требуют долги") == .negative)
        #expect(Sentiment.of("Компания открыла новый завод и показала рост") == .positive)
        #expect(Sentiment.of("Компания сменила адрес") == .neutral)
    }
}

final class TestClock: Sendable {
    private let instant = Mutex(ContinuousClock.now)
    var now: ContinuousClock.Instant { instant.withLock { $0 } }
    func advance(_ duration: Duration) { instant.withLock { $0 += duration } }
}
