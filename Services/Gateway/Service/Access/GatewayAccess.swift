package import Contracts
package import Logging
package import RPCCore
internal import ServiceKit
internal import Synchronization

/// The gateway's front door for every `gateway.v1` call, gRPC or REST alike: authenticate the API key, check
/// the role, take a rate-limit token, give the call its deadline budget, and record mutating calls in the
/// audit log. The chassis's own services (health, reflection, ops) stay open for probes and tools.
package struct GatewayAccess: ServerInterceptor {
    private let keys: KeyRing
    private let limiter: RateLimiter
    /// Failed authentications per client address.
    private let failures: RateLimiter
    private let audit: AuditLog
    private let settings: @Sendable () -> GatewaySettings

    package init(
        keys: KeyRing, limiter: RateLimiter, failures: RateLimiter = RateLimiter(), audit: AuditLog,
        settings: @escaping @Sendable () -> GatewaySettings
    ) {
        self.keys = keys
        self.limiter = limiter
        self.failures = failures
        self.audit = audit
        self.settings = settings
    }

    package func intercept(
        _ stream: RPCStream,
        _ context: ServerContext,
        next: (RPCStream, ServerContext) async throws -> Metadata
    ) async throws -> Metadata {
        guard context.method.service.hasPrefix(AccessPolicy.gatewayPackage) else { return try await next(stream, context) }
        let method = String(context.method.service.dropFirst(AccessPolicy.gatewayPackage.count)) + "/" + context.method.method
        let requestID = PropagatedMetadata.current.string("x-request-id") ?? ""
        let settings = settings()

        let caller = try await authenticate(
            authorization: context.metadata.string("authorization"), method: method, peer: context.peer, requestID: requestID)
        let mutating = context.method.idempotency != .noSideEffects
        let trail = AuditTrail()
        // The MCP tool that made the call, so the audit names what an agent asked for; only the MCP endpoint's
        // own in-process calls may say so (a gRPC client could send the header too).
        if context.peer.hasPrefix("mcp:"), let tool = context.metadata.string("x-mcp-tool") { trail.add(details: ["mcp_tool": tool]) }
        do {
            try authorize(caller, method, settings: settings)
            let budget: ContinuousClock.Instant? =
                context.deadline == nil && context.method.kind == .unary ? ContinuousClock.now + settings.defaultTimeout : nil
            var trailers = try await Caller.$current.withValue(caller) {
                try await AuditTrail.$current.withValue(trail) {
                    // Every downstream call inherits the budget, so a slow dependency ends the call with
                    // DEADLINE_EXCEEDED instead of holding it.
                    guard let budget else { return try await next(stream, context) }
                    return try await RPCDeadline.$current.withValue(budget) { try await next(stream, context) }
                }
            }
            trailers.replace("x-request-id", requestID)
            if mutating { await audit.record(caller, method: method, outcome: "OK", trail: trail, requestID: requestID, peer: context.peer) }
            return trailers
        } catch {
            // Refused and failed attempts are recorded too: they are what an audit is read for.
            if mutating {
                let code = (error as? any RPCErrorConvertible)?.rpcError.code.name ?? "UNKNOWN"
                await audit.record(caller, method: method, outcome: code, trail: trail, requestID: requestID, peer: context.peer)
            }
            throw error
        }
    }

    /// The caller behind `authorization`, for this interceptor and for surfaces that authenticate before
    /// they make a call (the MCP endpoint checks the key before `initialize`). A refused key is audited and
    /// counted against the client's address like any other.
    package func authenticate(authorization: String?, method: String, peer: String, requestID: String) async throws -> Caller {
        do {
            return try await keys.authenticate(authorization: authorization)
        } catch let error as RPCError where error.code == .unauthenticated {
            throw await refused(error, method: method, presented: authorization ?? "", peer: peer, requestID: requestID)
        }
    }

    /// A web sign-in or sign-out, for the audit log (a refused one is audited by `authenticate`).
    package func recordSignIn(_ caller: Caller, method: String, peer: String, requestID: String) async {
        let trail = AuditTrail()
        trail.add(details: ["surface": "web"])
        await audit.record(caller, method: method, outcome: "OK", trail: trail, requestID: requestID, peer: peer)
    }

    /// A refused authentication: audited with the client's address and a hash of what it presented, and
    /// limited per address, so guessing keys is slow and leaves a trace. Once an address is over its limit its
    /// failures are answered 429 and not audited one by one (a flood must not fill the audit log).
    private func refused(_ error: RPCError, method: String, presented: String, peer: String, requestID: String) async -> RPCError {
        let address = ClientAddress(peer: peer)
        if let wait = failures.acquire(key: address.host, perMinute: settings().failedAuthPerMinute) {
            return Self.limited("too many failed authentications from \(address.host)", wait: wait)
        }
        let trail = AuditTrail()
        let claimed = ApiKeySecret(token: presented.split(separator: " ").last.map(String.init) ?? "")?.id ?? ""
        AuditTrail.$current.withValue(trail) {
            AuditTrail.note(target: claimed, details: ["presented_sha256_prefix": ApiKeySecret.fingerprint(presented), "reason": error.message])
        }
        let anonymous = Caller(keyID: claimed, name: "", role: .unspecified, ratePerMinute: 0)
        await audit.record(anonymous, method: method, outcome: error.code.name, trail: trail, requestID: requestID, peer: peer)
        return error
    }

    /// RESOURCE_EXHAUSTED saying when to retry, in the message and as `retry-after` (REST's Retry-After).
    private static func limited(_ what: String, wait: Duration) -> RPCError {
        let seconds = max(1, Int(wait.seconds.rounded(.up)))
        var error = RPCError(.resourceExhausted, "\(what); retry in \(seconds) s")
        error.metadata.add("retry-after", String(seconds))
        return error
    }

    /// The role check and the rate limit.
    private func authorize(_ caller: Caller, _ method: String, settings: GatewaySettings) throws {
        guard AccessPolicy.allows(caller.role, method) else {
            throw RPCError(
                .permissionDenied,
                "\(method) needs the \(AccessPolicy.name(AccessPolicy.requiredRole(method))) role; key \(caller.keyID) is \(AccessPolicy.name(caller.role))")
        }
        let limit = caller.ratePerMinute > 0 ? caller.ratePerMinute : settings.defaultRatePerMinute
        if let wait = limiter.acquire(key: caller.keyID, perMinute: limit) {
            throw Self.limited("rate limit of \(limit) requests per minute reached for key \(caller.keyID)", wait: wait)
        }
    }
}

/// What a handler tells the audit log about the call: its target (a job, report or key id) and details.
package final class AuditTrail: Sendable {
    private let state = Mutex<(target: String, details: [String: String])>(("", [:]))

    @TaskLocal package static var current: AuditTrail?

    package init() {}

    /// Notes the target of the call being handled, if it is audited.
    package static func note(target: String, details: [String: String] = [:]) {
        current?.state.withLock { state in
            state.target = target
            state.details.merge(details) { _, new in new }
        }
    }

    func add(details: [String: String]) {
        state.withLock { $0.details.merge(details) { _, new in new } }
    }

    var snapshot: (target: String, details: [String: String]) { state.withLock { $0 } }
}

/// Writes audit records to storage; a failure to write is logged, never hidden from operators.
package struct AuditLog: Sendable {
    private let storage: RPCClient
    private let logger: Logger

    package init(storage: RPCClient, logger: Logger) {
        self.storage = storage
        self.logger = logger
    }

    func record(_ caller: Caller, method: String, outcome: String, trail: AuditTrail, requestID: String, peer: String) async {
        let (target, details) = trail.snapshot
        let record = StorageV1.AuditRecord.with {
            $0.actor = caller.keyID
            $0.role = caller.role
            $0.action = "gateway.v1.\(method)"
            $0.target = target
            $0.outcome = outcome
            $0.requestId = requestID
            $0.remoteAddress = peer
            $0.details = details
        }
        do {
            // Not bound by the call's deadline: an expired call is still recorded.
            _ = try await RPCDeadline.$current.withValue(nil) {
                try await storage.unary(StorageV1.Access.Method.AppendAudit.self, .with { $0.record = record }, timeout: .seconds(5))
            }
        } catch {
            logger.error(
                "audit record not written", metadata: ["audit.action": "\(record.action)", "audit.actor": "\(caller.keyID)", "error": "\(error)"])
        }
    }
}
