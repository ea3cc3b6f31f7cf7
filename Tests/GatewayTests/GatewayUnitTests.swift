import Contracts
import Gateway
import ProtoJSON
import RPCCore
import Synchronization
import Testing

@Suite struct ApiKeySecretTests {
    @Test func aGeneratedKeyParsesBackAndHashesSaltedByItsID() throws {
        let key = ApiKeySecret.generate()
        let parsed = try #require(ApiKeySecret(token: key.token))
        #expect(parsed == key && parsed.hash == key.hash && key.hash.count == 64)
        #expect(key.token.hasPrefix("cla_key"))
        let other = try #require(ApiKeySecret(token: "cla_other_\(key.secret)"))
        #expect(other.hash != key.hash)  // the same secret under another id hashes differently
    }

    @Test(arguments: ["", "Bearer x", "cla_", "cla_id_short", "key_abc_0123456789abcdef", "cla__0123456789abcdef"])
    func malformedTokensAreRefused(_ token: String) {
        #expect(ApiKeySecret(token: token) == nil)
    }
}

@Suite struct RateLimiterTests {
    @Test func aBucketAllowsItsBurstThenRefillsAtTheRate() {
        let clock = Mutex(ContinuousClock.now)
        let limiter = RateLimiter(now: { clock.withLock { $0 } })
        for _ in 0..<3 { #expect(limiter.acquire(key: "k", perMinute: 3) == nil) }
        let wait = limiter.acquire(key: "k", perMinute: 3)
        #expect(wait != nil && wait! > .seconds(19) && wait! <= .seconds(20))
        #expect(limiter.acquire(key: "other", perMinute: 3) == nil)  // buckets are per key
        clock.withLock { $0 += .seconds(20) }
        #expect(limiter.acquire(key: "k", perMinute: 3) == nil)
        #expect(limiter.acquire(key: "k", perMinute: 3) != nil)
    }
}

@Suite struct ClientAddressTests {
    @Test(arguments: [
        ("[IPv4]127.0.0.1/127.0.0.1:53058", "127.0.0.1"), ("rest:127.0.0.1:56594", "127.0.0.1"), ("web:10.0.0.7:41000", "10.0.0.7"),
        ("[IPv6]::1/::1:41000", "::1"), ("rest:[::1]:8080", "::1"), ("rest:10.0.0.7:1", "10.0.0.7"),
    ])
    func theHostWithoutThePort(peer: String, host: String) {
        #expect(ClientAddress(peer: peer).host == host)
    }
}

@Suite struct AccessPolicyTests {
    @Test func rolesAreOrderedAndUnknownMethodsNeedAdmin() {
        #expect(AccessPolicy.allows(.viewer, "Reports/GetReport"))
        #expect(!AccessPolicy.allows(.viewer, "Analyses/Submit"))
        #expect(AccessPolicy.allows(.analyst, "Analyses/Submit"))
        #expect(AccessPolicy.allows(.analyst, "Threads/SubmitFeedback"))
        #expect(!AccessPolicy.allows(.analyst, "Admin/CreateApiKey"))
        #expect(!AccessPolicy.allows(.analyst, "Reports/DeleteReports"))
        #expect(AccessPolicy.allows(.admin, "Admin/CreateApiKey"))
        #expect(AccessPolicy.requiredRole("Future/Method") == .admin)
        #expect(!AccessPolicy.allows(.unspecified, "Reports/GetReport"))
    }

    @Test func everyGatewayMethodHasARouteAndARoleOnPurpose() {
        let routed = Set(RESTRoutes.all.map(\.rpcName))
        let methods: [MethodDescriptor] = [
            GatewayV1.Analyses.Method.Submit.descriptor, GatewayV1.Analyses.Method.WatchJob.descriptor,
            GatewayV1.Reports.Method.DownloadReport.descriptor, GatewayV1.Threads.Method.SubmitFeedback.descriptor,
            GatewayV1.Sources.Method.Lookup.descriptor, GatewayV1.Admin.Method.ListAudit.descriptor,
        ]
        for method in methods {
            let name = String(method.service.dropFirst(AccessPolicy.gatewayPackage.count)) + "/" + method.method
            #expect(routed.contains(name), "\(name) has no REST route")
        }
    }
}

@Suite struct RESTBindingTests {
    let listReports = SchemaRegistry.shared.schema(for: GatewayV1.ListReportsRequest.self)

    @Test func queryParametersBindDottedFieldPathsWithShortEnumNamesAndRepeats() throws {
        let json = try RESTBinding.request(
            schema: listReports, body: nil, path: [:],
            query: [("filter.inn", "7707083893"), ("filter.levels", "high"), ("filter.levels", "RISK_LEVEL_CRITICAL"),
                    ("filter.latest_only", "true"), ("page.page_size", "10")])
        let request = try ProtoJSON.decode(json, as: GatewayV1.ListReportsRequest.self)
        #expect(request.filter?.inn == "7707083893" && request.filter?.levels == [.high, .critical])
        #expect(request.filter?.latestOnly == true && request.page?.pageSize == 10)
    }

    @Test func pathParametersAndBodiesMergeButMayNotCollide() throws {
        let schema = SchemaRegistry.shared.schema(for: GatewayV1.CancelJobRequest.self)
        let json = try RESTBinding.request(
            schema: schema, body: .object([("reason", .string("дубль"))]), path: ["job_id": "j1"], query: [])
        let request = try ProtoJSON.decode(json, as: GatewayV1.CancelJobRequest.self)
        #expect(request.jobId == "j1" && request.reason == "дубль")
        #expect(throws: TranscodeError.self) {
            try RESTBinding.request(schema: schema, body: .object([("job_id", .string("j2"))]), path: ["job_id": "j1"], query: [])
        }
    }

    @Test func headersFillOnlyFieldsTheBodyLeftUnset() throws {
        let schema = SchemaRegistry.shared.schema(for: GatewayV1.SubmitAnalysisRequest.self)
        let fromHeader = try RESTBinding.request(
            schema: schema, body: .object([]), path: [:], query: [], headers: [("idempotency_key", "h")])
        #expect(try ProtoJSON.decode(fromHeader, as: GatewayV1.SubmitAnalysisRequest.self).idempotencyKey == "h")
        let fromBody = try RESTBinding.request(
            schema: schema, body: .object([("idempotencyKey", .string("b"))]), path: [:], query: [], headers: [("idempotency_key", "h")])
        #expect(try ProtoJSON.decode(fromBody, as: GatewayV1.SubmitAnalysisRequest.self).idempotencyKey == "b")
    }

    @Test func unknownParametersAreNamed() {
        do {
            _ = try RESTBinding.request(schema: listReports, body: nil, path: [:], query: [("filter.nope", "1")])
            Issue.record("no error")
        } catch {
            #expect(error.description.hasPrefix("filter.nope: unknown query parameter; known fields: inn, name_contains"))
        }
    }

    @Test func routesMatchTemplatesAndFixedPathsComeFirst() throws {
        func route(_ method: String, _ path: String) -> (String, [String: String])? {
            let segments = path.split(separator: "/")
            return RESTRoutes.all.lazy.filter { $0.httpMethod == method }.compactMap { route in route.match(segments).map { (route.rpcName, $0) } }.first
        }
        #expect(route("GET", "/api/v1/reports/stats")?.0 == "Reports/Stats")
        #expect(route("GET", "/api/v1/reports/r1")?.1 == ["id": "r1"])
        #expect(route("GET", "/api/v1/reports/r1/document")?.0 == "Reports/DownloadReport")
        #expect(route("GET", "/api/v1/threads/by-inn/7707083893")?.1 == ["inn": "7707083893"])
        #expect(route("GET", "/api/v1/nothing") == nil)
    }
}

@Suite struct HTTPStatusMappingTests {
    @Test func codesMapAsTheWireReferenceSays() {
        let expected: [(RPCStatus.Code, Int)] = [
            (.ok, 200), (.cancelled, 499), (.unknown, 500), (.invalidArgument, 400), (.deadlineExceeded, 504), (.notFound, 404),
            (.alreadyExists, 409), (.permissionDenied, 403), (.unauthenticated, 401), (.resourceExhausted, 429),
            (.failedPrecondition, 409), (.aborted, 409), (.outOfRange, 400), (.unimplemented, 501), (.internal, 500),
            (.unavailable, 503), (.dataLoss, 500),
        ]
        for (code, status) in expected { #expect(HTTPStatusMapping.status(for: code) == status, "\(code)") }
        #expect(HTTPStatusMapping.body(code: "NOT_FOUND", message: "x", requestID: "r").text
            == #"{"error":{"code":"NOT_FOUND","message":"x","details":[{"request_id":"r"}]}}"#)
    }
}
