internal import Crypto
internal import Foundation
internal import Synchronization

/// The web app's sign-in sessions: an API key exchanged for a random session id (the cookie) and a CSRF
/// token. The key itself stays in the gateway's memory, so every page's API call is authenticated with it
/// as usual (a revoked key stops working within `auth.key_cache_ttl`), and signing out ends the session here.
/// Sessions live in one gateway's memory: behind several gateways a balancer keeps a browser on one of them.
package final class WebSessions: Sendable {
    package struct Session: Sendable {
        package let id: String
        package let csrfToken: String
        /// `Bearer cla_…`: what the session's API calls carry.
        package let authorization: String
        package let caller: Caller
        package let created: ContinuousClock.Instant
        package let expiresAtMilliseconds: Int64
        package var lastUsed: ContinuousClock.Instant
    }

    package struct Limits: Sendable {
        package var lifetime: Duration
        package var idleTimeout: Duration
        package var maxSessions: Int

        package init(lifetime: Duration, idleTimeout: Duration, maxSessions: Int) {
            self.lifetime = lifetime
            self.idleTimeout = idleTimeout
            self.maxSessions = maxSessions
        }
    }

    private let sessions = Mutex<[String: Session]>([:])
    private let limits: @Sendable () -> Limits
    private let now: @Sendable () -> ContinuousClock.Instant

    package init(limits: @escaping @Sendable () -> Limits, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.limits = limits
        self.now = now
    }

    /// Sessions one key may hold at once: signing in with a key again and again replaces its own oldest
    /// session, never other people's.
    package static let perKey = 20

    /// A new session for a verified caller. At a cap (the key's own, or `maxSessions`), expired sessions go
    /// first, then the least recently used one (of the key, or of all).
    package func open(caller: Caller, authorization: String, replacing previous: String? = nil) -> Session {
        let limits = limits()
        let now = self.now()
        let lifetimeMilliseconds = Int64(limits.lifetime.components.seconds) * 1000
        let session = Session(
            id: Self.token(), csrfToken: Self.token(), authorization: authorization, caller: caller, created: now,
            expiresAtMilliseconds: Int64(Date().timeIntervalSince1970 * 1000) + lifetimeMilliseconds, lastUsed: now)
        sessions.withLock { sessions in
            if let previous { sessions[previous] = nil }
            let own = sessions.values.filter { $0.caller.keyID == caller.keyID }
            if own.count >= Self.perKey, let oldest = own.min(by: { $0.lastUsed < $1.lastUsed }) { sessions[oldest.id] = nil }
            if sessions.count >= limits.maxSessions {
                sessions = sessions.filter { !Self.expired($0.value, limits: limits, now: now) }
            }
            if sessions.count >= limits.maxSessions, let oldest = sessions.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
                sessions[oldest.key] = nil
            }
            sessions[session.id] = session
        }
        return session
    }

    /// The live session with this id, its idle clock restarted; nil when unknown, expired or idle too long.
    package func session(_ id: String) -> Session? {
        let limits = limits()
        let now = self.now()
        return sessions.withLock { sessions in
            guard var session = sessions[id] else { return nil }
            guard !Self.expired(session, limits: limits, now: now) else {
                sessions[id] = nil
                return nil
            }
            session.lastUsed = now
            sessions[id] = session
            return session
        }
    }

    package func close(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }

    package var count: Int { sessions.withLock { $0.count } }

    /// How long a new session lasts at most (its cookie's Max-Age).
    package var lifetime: Duration { limits().lifetime }

    private static func expired(_ session: Session, limits: Limits, now: ContinuousClock.Instant) -> Bool {
        now - session.created > limits.lifetime || now - session.lastUsed > limits.idleTimeout
    }

    /// 32 random bytes as hex.
    private static func token() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { bytes in bytes.map { String(format: "%02x", $0) }.joined() }
    }

    /// Constant-time comparison of a presented CSRF token with the session's.
    package static func same(_ presented: String, _ expected: String) -> Bool {
        let a = Array(presented.utf8), b = Array(expected.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
