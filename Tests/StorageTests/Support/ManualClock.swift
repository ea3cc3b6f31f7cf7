import Synchronization

/// Wall-clock milliseconds that only the test moves, for TTLs, leases and backoff without sleeping.
final class ManualClock: Sendable {
    private let value: Mutex<Int64>

    init(_ start: Int64 = 1_800_000_000_000) { value = Mutex(start) }

    var now: Int64 { value.withLock { $0 } }
    func advance(by milliseconds: Int64) { value.withLock { $0 += milliseconds } }
    func set(_ time: Int64) { value.withLock { $0 = time } }
}
