/// Ids of stored things (threads `t…`, reports `r…`, jobs `j…`, feedback `f…`, keys `k…`, audit `a…`) sort
/// by creation time: the kind's letter, 12 hex digits of milliseconds, 8 random hex digits.
enum RecordID {
    static func make(_ kind: Character, now: Int64) -> String {
        String(kind) + hex(UInt64(max(0, now)), width: 12) + hex(UInt64(UInt32.random(in: .min ... .max)), width: 8)
    }

    private static func hex(_ value: UInt64, width: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
