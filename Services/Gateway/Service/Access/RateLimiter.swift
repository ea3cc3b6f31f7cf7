internal import ServiceKit
internal import Synchronization

/// Per-key token buckets: a key with a limit of N per minute may burst N requests, then gets one more every
/// 60/N seconds. A refusal says when the next token comes (`Retry-After`).
package final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    private let now: @Sendable () -> ContinuousClock.Instant

    package init(now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) { self.now = now }

    /// Takes a token from `key`'s bucket; nil when allowed, else how long until a token is available.
    package func acquire(key: String, perMinute limit: Int) -> Duration? {
        let capacity = Double(max(limit, 1))
        let perSecond = capacity / 60
        let time = now()
        return buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: time)
            bucket.tokens = min(capacity, bucket.tokens + (time - bucket.updated).seconds * perSecond)
            bucket.updated = time
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else { return .milliseconds(Int64(((1 - bucket.tokens) / perSecond * 1000).rounded(.up))) }
            bucket.tokens -= 1
            return nil
        }
    }
}
