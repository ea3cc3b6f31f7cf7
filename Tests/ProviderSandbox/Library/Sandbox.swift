internal import Foundation
internal import HTTPTypes
package import Hummingbird
package import Logging
internal import NIOCore

/// The provider sandbox: an HTTP server that answers as DaData, Casebook, InfoSphere, Tavily, Perplexity and an
/// OpenAI-compatible LLM would, from `SandboxCompany.all`, with faults and latency on request. Each provider
/// lives under its own path prefix (`/dadata/...`, `/casebook/...`), so one sandbox is every provider's base URL.
package struct Sandbox: Sendable {
    package let behaviour: SandboxBehaviour

    package init(behaviour: SandboxBehaviour = SandboxBehaviour()) { self.behaviour = behaviour }

    package func application(host: String, port: Int, logger: Logger, onListening: @escaping @Sendable (Int) -> Void) -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "provider-sandbox"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        let catalogue = SandboxCatalogue(behaviour: behaviour)
        router.post("/dadata/suggestions/api/4_1/rs/findById/party") { request, _ in
            try await serve(.dadata, request, auth: request.headers[.authorization]?.hasPrefix("Token ") == true) { body in
                let query = (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["query"] as? String ?? ""
                return (query, { _ in DaDataWire.response(for: query, in: catalogue) })
            }
        }
        router.get("/casebook/arbitrage/cases") { request, _ in
            let key = request.headers[HTTPField.Name("apikey")!] ?? request.uri.queryParameters["apikey"].map(String.init)
            return try await serve(.casebook, request, auth: key?.isEmpty == false) { _ in
                let inn = request.uri.queryParameters["sideInn"].map(String.init) ?? ""
                let page = request.uri.queryParameters["page"].flatMap { Int($0) } ?? 1
                let size = request.uri.queryParameters["size"].flatMap { Int($0) } ?? 20
                return (inn, { _ in CasebookWire.cases(inn: inn, page: page, size: size, in: catalogue) })
            }
        }
        router.post("/infosphere/2.00") { request, _ in
            try await serve(.infosphere, request, auth: true) { body in
                let xml = String(decoding: body, as: UTF8.self)
                let inn = InfoSphereWire.element("inn", in: xml) ?? ""
                let authorised = !(InfoSphereWire.element("UserID", in: xml) ?? "").isEmpty
                return (inn, { fault in
                    guard authorised else { return InfoSphereWire.authError() }
                    if case .registryErrors(let count)? = fault { return InfoSphereWire.response(inn: inn, failingRegistries: count, in: catalogue) }
                    return InfoSphereWire.response(inn: inn, in: catalogue)
                })
            }
        }
        router.post("/tavily/search") { request, _ in
            try await serve(.tavily, request, auth: request.headers[.authorization]?.hasPrefix("Bearer ") == true) { body in
                let object = (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:]
                let query = object["query"] as? String ?? ""
                return (query, { _ in WebWire.tavily(query: query, maxResults: object["max_results"] as? Int ?? 5, in: catalogue) })
            }
        }
        router.post("/perplexity/chat/completions") { request, _ in
            try await serve(.perplexity, request, auth: request.headers[.authorization]?.hasPrefix("Bearer ") == true) { body in
                let question = WebWire.lastUserMessage(body)
                return (question, { _ in WebWire.perplexity(question: question, in: catalogue) })
            }
        }
        router.post("/perplexity/v1/agent") { request, _ in
            try await serve(.perplexity, request, auth: request.headers[.authorization]?.hasPrefix("Bearer ") == true) { body in
                let input = (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["input"] as? String ?? ""
                return (input, { _ in WebWire.perplexityAgent(question: input, in: catalogue) })
            }
        }
        router.post("/llm/chat/completions") { request, _ in
            try await serve(.llm, request, auth: request.headers[.authorization]?.hasPrefix("Bearer ") == true) { body in
                let prompt = WebWire.lastUserMessage(body)
                let system = WebWire.systemMessage(body)
                return (prompt, { _ in WebWire.llm(prompt: prompt, system: system, in: catalogue) })
            }
        }
        router.get("/sandbox/companies") { _, _ in
            Self.json(SandboxCompany.all.map { ["inn": $0.inn, "kind": $0.kind.rawValue, "name": $0.name.isEmpty ? "" : $0.shortName] })
        }
        // A synthetic company as the providers see it now, and the way to change it (monitoring tests).
        // `?revision=N` previews a synthetic company at another revision without changing it.
        router.get("/sandbox/companies/{inn}") { request, context in
            let inn = context.parameters.get("inn") ?? ""
            guard var company = catalogue.company(inn: inn) else { return Self.text(.notFound, "application/json", #"{"message":"no company with this INN"}"#) }
            var revision = behaviour.revision(of: inn)
            if let asked = request.uri.queryParameters["revision"] {
                guard let number = Int(asked), (0...1000).contains(number) else {
                    return Self.text(.badRequest, "application/json", #"{"message":"revision: a number from 0 to 1000"}"#)
                }
                if SandboxCompany.fixture(inn: inn) == nil {
                    revision = number
                    company = SandboxCompany.synthetic(inn: inn, revision: number)
                }
            }
            return Self.json(Self.summary(company, revision: revision))
        }
        router.post("/sandbox/companies/{inn}/revision") { _, context in
            let inn = context.parameters.get("inn") ?? ""
            guard SandboxCompany.fixture(inn: inn) == nil, catalogue.company(inn: inn) != nil else {
                return Self.text(.badRequest, "application/json", #"{"message":"only a synthetic company (a valid INN that is not a fixture) changes"}"#)
            }
            behaviour.raiseRevision(of: inn)
            return Self.json(Self.summary(catalogue.company(inn: inn)!, revision: behaviour.revision(of: inn)))
        }
        router.get("/sandbox/stats") { _, _ in
            Self.json(Dictionary(uniqueKeysWithValues: behaviour.requestCounts.map { ($0.key.rawValue, $0.value) }))
        }
        return router
    }

    /// What a test needs to know of a company: its identity and what a report should find.
    static func summary(_ company: SandboxCompany, revision: Int) -> [String: Any] {
        [
            "inn": company.inn, "ogrn": company.ogrn, "name": company.shortName, "kind": company.kind.rawValue, "status": company.status,
            "revision": revision, "head": company.head, "cases": company.cases.count,
            "defendant_cases": company.cases.filter { $0.role == "defendant" }.count,
            "registry": company.registry.mapValues(\.count), "mentions": company.mentions.count,
            "synthetic": SandboxCompany.fixture(inn: company.inn) == nil,
        ]
    }

    /// Applies latency and faults, then answers with what `handle` makes of the body: the subject (for
    /// per-subject faults) and the answer (a status and a body), given the fault that is left for the
    /// provider's own wire to show (InfoSphere's `registry-errors`).
    private func serve(
        _ provider: Provider, _ request: Request, auth: Bool,
        handle: ([UInt8]) throws -> (subject: String, answer: (Fault?) -> (HTTPResponse.Status, String, String))
    ) async throws -> Response {
        behaviour.countRequest(provider)
        let body = Array(try await request.body.collect(upTo: 1 << 20).readableBytesView)
        let latency = request.headers[HTTPField.Name("X-Sandbox-Latency-Ms")!].flatMap { Int($0) } ?? behaviour.latencyMilliseconds[provider] ?? 0
        // Waits are not cut short by cancellation: a handler that throws mid-response upsets the server's writer.
        if latency > 0 { await Self.pause(.milliseconds(latency)) }
        guard auth else { return Self.text(.unauthorized, "application/json", #"{"message":"invalid credentials"}"#) }
        let (subject, answer) = try handle(body)
        let company = SandboxCompany.all.first { $0.inn == subject || (!$0.name.isEmpty && subject.uppercased().contains($0.name)) }
        let fault: Fault? = request.headers[HTTPField.Name("X-Sandbox-Fault")!].flatMap(Fault.init)
            ?? company?.faults[provider].flatMap(Fault.init) ?? behaviour.faults[provider]
        switch fault {
        case .status(let status)?:
            return Self.text(HTTPResponse.Status(code: status), "application/json", #"{"message":"sandbox fault \#(status)"}"#)
        case .retryAfter(let seconds)?:
            var response = Self.text(.tooManyRequests, "application/json", #"{"message":"rate limited"}"#)
            response.headers[.retryAfter] = String(seconds)
            return response
        case .timeout?:
            await Self.pause(.seconds(behaviour.timeoutSeconds))
            return Self.text(.gatewayTimeout, "text/plain", "too late")
        case .malformed?:
            return Self.text(.ok, provider == .infosphere ? "application/xml" : "application/json", "{\"unexpected\": [1, 2,")
        case .flaky(let times)? where behaviour.shouldFail(provider, subject: subject, times: times):
            return Self.text(.serviceUnavailable, "application/json", #"{"message":"sandbox flaky"}"#)
        case .failingSubjects(let count)? where behaviour.failsSubject(provider, subject: subject, count: count):
            return Self.text(.serviceUnavailable, "application/json", #"{"message":"sandbox failing subject"}"#)
        case .flaky?, .failingSubjects?, .registryErrors?, nil:
            let (status, contentType, text) = answer(fault)
            return Self.text(status, contentType, text)
        }
    }

    static func pause(_ duration: Duration) async {
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end { try? await Task.sleep(until: min(end, .now + .milliseconds(50))) }
    }

    static func text(_ status: HTTPResponse.Status, _ contentType: String, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ object: Any) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return text(.ok, "application/json", String(decoding: data, as: UTF8.self))
    }
}
