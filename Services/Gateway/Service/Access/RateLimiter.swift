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

    private static let sheddingThreshold = 50_000

    package init(now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) { self.now = now }

    /// Takes a token from `key`'s bucket; nil when allowed, else how long until a token is available.
    package func acquire(key: String, perMinute limit: Int) -> Duration? {
        let capacity = Double(max(limit, 1))
        let perSecond = capacity / 60
        let time = now()
        return buckets.withLock { buckets in
            // Keys may come from callers (client addresses): a bucket untouched for a minute has refilled, and
            // forgetting it changes nothing, so a large map sheds those; if that is not enough (a spray of
            // addresses, which per-address limits cannot stop anyway) it starts again, keeping memory bounded.
            if buckets.count > Self.sheddingThreshold, buckets[key] == nil {
                buckets = buckets.filter { time - $0.value.updated < .seconds(60) }
                if buckets.count > Self.sheddingThreshold / 2 { buckets.removeAll() }
            }
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
