/// The `grpc-timeout` header: 1–8 ASCII digits and a unit (`H M S m u n`).
///
/// ```swift
/// GRPCTimeout(header: "250m")?.duration     // .milliseconds(250)
/// GRPCTimeout(.seconds(30)).headerValue     // "30000000u"
/// ```
package struct GRPCTimeout: Sendable, Hashable {
    package var duration: Duration

    package init(_ duration: Duration) { self.duration = max(duration, .zero) }

    /// Parses a header value; nil when it is not 1–8 digits followed by one unit letter.
    package init?(header: String) {
        let utf8 = Array(header.utf8)
        guard utf8.count >= 2, utf8.count <= 9, let unit = utf8.last else { return nil }
        var amount: Int64 = 0
        for byte in utf8.dropLast() {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            amount = amount * 10 + Int64(byte - 0x30)
        }
        switch unit {
        case UInt8(ascii: "H"): duration = .seconds(amount * 3600)
        case UInt8(ascii: "M"): duration = .seconds(amount * 60)
        case UInt8(ascii: "S"): duration = .seconds(amount)
        case UInt8(ascii: "m"): duration = .milliseconds(amount)
        case UInt8(ascii: "u"): duration = .microseconds(amount)
        case UInt8(ascii: "n"): duration = .nanoseconds(amount)
        default: return nil
        }
    }

    /// The header value: the finest unit whose amount fits in 8 digits, rounded up so a deadline is never
    /// shortened by the encoding.
    package var headerValue: String {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = seconds * 1_000_000_000 + (attoseconds + 999_999_999) / 1_000_000_000
        let units: [(suffix: String, nanosPerUnit: Int64)] = [
            ("n", 1), ("u", 1_000), ("m", 1_000_000), ("S", 1_000_000_000), ("M", 60_000_000_000),
            ("H", 3_600_000_000_000),
        ]
        for (suffix, perUnit) in units {
            let amount = (nanoseconds + perUnit - 1) / perUnit
            if amount <= 99_999_999 { return "\(amount)\(suffix)" }
        }
        return "99999999H"
    }
}
