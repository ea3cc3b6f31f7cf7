package import Contracts
package import RPCCore
internal import ServiceKit
internal import Synchronization

/// Where successful provider answers are cached (storage's Cache service in the analyzer, memory in tests).
/// Only successes go in: a failure is never cached, so it is never served later as "nothing found".
package protocol ProviderCache: Sendable {
    /// The value and its age, or nil on a miss (or when the cache cannot be reached: collection then asks the
    /// provider, which is slower but correct).
    func get(_ key: String) async -> (value: [UInt8], ageMs: Int64)?
    func set(_ key: String, _ value: [UInt8], ttl: Duration, source: CommonV1.Source) async
}

/// The cache in storage, over RPC.
package struct StorageProviderCache: ProviderCache {
    private let client: RPCClient

    package init(client: RPCClient) { self.client = client }

    package func get(_ key: String) async -> (value: [UInt8], ageMs: Int64)? {
        guard let reply = try? await client.unary(StorageV1.Cache.Method.Get.self, .with { $0.key = key }, timeout: .seconds(2)).message,
            reply.found
        else { return nil }
        let created = reply.info?.createdAtMs ?? 0
        return (reply.value, created > 0 ? max(0, UnixTime.nowMilliseconds - created) : 0)
    }

    package func set(_ key: String, _ value: [UInt8], ttl: Duration, source: CommonV1.Source) async {
        _ = try? await client.unary(StorageV1.Cache.Method.Set.self, .with {
            $0.key = key
            $0.value = value
            $0.ttlMs = ttl.milliseconds
            $0.source = source
        }, timeout: .seconds(2))
    }
}

/// A cache in memory, with a clock the tests control.
package final class InMemoryProviderCache: ProviderCache {
    private let entries = Mutex<[String: (value: [UInt8], storedAt: Int64, expiresAt: Int64)]>([:])
    private let now: @Sendable () -> Int64

    package init(now: @escaping @Sendable () -> Int64 = { UnixTime.nowMilliseconds }) { self.now = now }

    package func get(_ key: String) async -> (value: [UInt8], ageMs: Int64)? {
        let now = now()
        return entries.withLock { entries in
            guard let entry = entries[key], entry.expiresAt > now else { return nil }
            return (entry.value, now - entry.storedAt)
        }
    }

    package func set(_ key: String, _ value: [UInt8], ttl: Duration, source: CommonV1.Source) async {
        let now = now()
        entries.withLock { $0[key] = (value, now, now + ttl.milliseconds) }
    }

    package var keys: [String] { entries.withLock { Array($0.keys).sorted() } }
}

/// No cache (`features.provider_cache: false`): every analysis asks the providers.
package struct NoProviderCache: ProviderCache {
    package init() {}
    package func get(_ key: String) async -> (value: [UInt8], ageMs: Int64)? { nil }
    package func set(_ key: String, _ value: [UInt8], ttl: Duration, source: CommonV1.Source) async {}
}
