internal import Foundation
package import Logging
package import Contracts
package import RPCCore
internal import ServiceKit
internal import Synchronization

/// Who is calling: the verified API key.
package struct Caller: Sendable, Equatable {
    package var keyID: String
    package var name: String
    package var role: StorageV1.Role
    /// 0: the gateway's default.
    package var ratePerMinute: Int

    package init(keyID: String, name: String, role: StorageV1.Role, ratePerMinute: Int) {
        self.keyID = keyID
        self.name = name
        self.role = role
        self.ratePerMinute = ratePerMinute
    }

    @TaskLocal package static var current: Caller?
}

/// Verifies presented API keys against the records in storage, remembering verified ones for a short time
/// so that a busy key does not cost a storage call per request.
package final class KeyRing: Sendable {
    private struct Entry {
        var key: StorageV1.ApiKey
        var fetched: ContinuousClock.Instant
    }

    private let storage: RPCClient
    private let ttl: @Sendable () -> Duration
    private let logger: Logger
    private let cache = Mutex<[String: Entry]>([:])
    /// When each key's use was last sent to storage: at most once per `touchInterval`.
    private let touched = Mutex<[String: ContinuousClock.Instant]>([:])
    private let touchInterval: Duration

    package init(storage: RPCClient, ttl: @escaping @Sendable () -> Duration, logger: Logger = Logger(label: "gateway.keys"),
                 touchInterval: Duration = .seconds(60)) {
        self.storage = storage
        self.ttl = ttl
        self.logger = logger
        self.touchInterval = touchInterval
    }

    /// The caller behind `authorization` (`Bearer cla_…`), or UNAUTHENTICATED saying what is wrong.
    package func authenticate(authorization: String?) async throws -> Caller {
        guard let authorization, !authorization.isEmpty else {
            throw RPCError(.unauthenticated, "missing API key: send the header \"authorization: Bearer cla_…\"")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw RPCError(.unauthenticated, "the authorization header must be \"Bearer <API key>\"")
        }
        guard let presented = ApiKeySecret(token: String(parts[1]).trimmingCharacters(in: .whitespaces)) else {
            throw RPCError(.unauthenticated, "the API key is malformed: expected cla_<id>_<secret>")
        }
        let key = try await record(id: presented.id)
        guard let key, ServiceTokenCheck.constantTimeEquals(key.secretHash, presented.hash) else {
            throw RPCError(.unauthenticated, "the API key is not valid")
        }
        guard !key.revoked else { throw RPCError(.unauthenticated, "the API key \(key.id) was revoked") }
        recordUse(of: key.id)
        return Caller(keyID: key.id, name: key.name, role: key.role, ratePerMinute: Int(key.rateLimitPerMinute))
    }

    /// Sends the key's use to storage (`last_used_at_ms`) if it was not sent in the last `touchInterval`, in
    /// the background: the request does not wait for it, and a failure only costs that one record.
    private func recordUse(of id: String) {
        let now = ContinuousClock.now
        let due = touched.withLock { touched in
            if let last = touched[id], now - last < touchInterval { return false }
            if touched.count > 10_000 { touched.removeAll() }  // bounded, like the cache
            touched[id] = now
            return true
        }
        guard due else { return }
        Task { [storage, logger] in
            do {
                _ = try await storage.unary(StorageV1.Access.Method.TouchApiKey.self, .with { $0.id = id }, timeout: .seconds(5))
            } catch {
                logger.warning("could not record the use of API key \(id): \(error)", metadata: ["key.id": "\(id)"])
            }
        }
    }

    /// Forgets a key at once (after a revocation through this gateway).
    package func forget(id: String) {
        _ = cache.withLock { $0.removeValue(forKey: id) }
    }

    private func record(id: String) async throws -> StorageV1.ApiKey? {
        let now = ContinuousClock.now
        if let entry = cache.withLock({ $0[id] }), now - entry.fetched < ttl() { return entry.key }
        let key: StorageV1.ApiKey
        do {
            key = try await storage.unary(StorageV1.Access.Method.GetApiKey.self, .with { $0.lookup = .id(id) }, timeout: .seconds(5))
                .message.key ?? StorageV1.ApiKey()
        } catch let error as RPCError where error.code == .notFound {
            return nil
        } catch let error as RPCError {
            throw RPCError(.unavailable, "cannot verify the API key: storage is unavailable (\(error.code.name))")
        }
        cache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }  // bounded: ids come from callers
            cache[id] = Entry(key: key, fetched: now)
        }
        return key
    }
}
