/// When and how often the client tries a call again.
///
/// Only methods declared idempotent (or side-effect free) are retried, only when the failure is UNAVAILABLE
/// (nothing was listening, the server refused the stream or was shutting down), only before any response
/// message reached the caller, and only while the deadline leaves room for the wait.
package struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included; 1 turns retries off.
    package var maxAttempts = 3
    package var initialBackoff = Duration.milliseconds(50)
    package var maxBackoff = Duration.seconds(1)
    package var multiplier = 2.0

    package init() {}

    package static let defaults = RetryPolicy()
    package static let none = RetryPolicy.with { $0.maxAttempts = 1 }

    package static func with(_ change: (inout RetryPolicy) -> Void) -> RetryPolicy {
        var policy = RetryPolicy()
        change(&policy)
        return policy
    }

    /// The wait before attempt `attempt + 1`: exponential, capped, with ±50 % jitter so that clients that
    /// failed together do not come back together.
    package func backoff(afterAttempt attempt: Int, random: Double = Double.random(in: 0.5...1.5)) -> Duration {
        let base = initialBackoff * pow2(multiplier, attempt - 1)
        return min(base, maxBackoff) * random
    }

    private func pow2(_ base: Double, _ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<max(0, exponent) { result *= base }
        return result
    }
}
