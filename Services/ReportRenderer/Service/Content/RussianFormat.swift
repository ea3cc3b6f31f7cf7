internal import ServiceKit

/// Numbers, money, dates and times as Russian readers write them: "1 234 567,89 ₽", "3,4 млн ₽",
/// "15.03.2024", "25.11.2026 14:05 (МСК)". Digit groups use a no-break space so they never wrap.
enum RussianFormat {
    static let groupSeparator: Character = "\u{00A0}"

    /// An integer with digit groups: 1 234 567.
    static func integer(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(groupSeparator) }
            out.append(digit)
        }
        return value < 0 ? "−" + out : out
    }

    /// A decimal with a comma and a fixed number of places: 12,5.
    static func decimal(_ value: Double, places: Int = 1) -> String {
        guard value.isFinite else { return "—" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((abs(value) * scale).rounded())
        let whole = integer(scaled / Int64(scale))
        let sign = value < 0 && scaled != 0 ? "−" : ""
        guard places > 0 else { return sign + whole }
        let fraction = String(scaled % Int64(scale))
        return sign + whole + "," + String(repeating: "0", count: places - fraction.count) + fraction
    }

    /// An exact sum: 1 234 567,89 ₽ (kopecks dropped when zero).
    static func money(kopecks: Int64) -> String {
        let roubles = integer(kopecks / 100)
        let rest = Int(kopecks.magnitude % 100)
        let sign = kopecks < 0 && kopecks / 100 == 0 ? "−" : ""
        return rest == 0 ? "\(sign)\(roubles)\u{00A0}₽" : "\(sign)\(roubles),\(rest < 10 ? "0" : "")\(rest)\u{00A0}₽"
    }

    /// A sum rounded for summaries and charts: 950 ₽, 12,3 тыс. ₽, 3,4 млн ₽, 1,2 млрд ₽.
    static func compactMoney(kopecks: Int64) -> String {
        let roubles = Double(kopecks) / 100
        let magnitude = abs(roubles)
        let (divisor, unit): (Double, String) =
            magnitude >= 1e9 ? (1e9, "млрд") : magnitude >= 1e6 ? (1e6, "млн") : magnitude >= 1e3 ? (1e3, "тыс.") : (1, "")
        if unit.isEmpty { return decimal(roubles, places: 0) + "\u{00A0}₽" }
        return decimal(roubles / divisor, places: 1) + "\u{00A0}" + unit + "\u{00A0}₽"
    }

    /// A percentage of a 0–1 fraction: 0.875 → "88 %".
    static func percent(fraction: Double) -> String {
        decimal(fraction * 100, places: 0) + "\u{00A0}%"
    }

    /// An ISO date "YYYY-MM-DD" (or a longer ISO timestamp) as "DD.MM.YYYY"; anything else is shown as given.
    static func date(_ iso: String) -> String {
        let parts = iso.prefix(10).split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isNumber) })
        else { return iso }
        return "\(parts[2]).\(parts[1]).\(parts[0])"
    }

    /// The year of an ISO date, when it has one.
    static func year(_ iso: String) -> Int? {
        guard iso.count >= 4, let year = Int(iso.prefix(4)), (1900...2200).contains(year) else { return nil }
        return year
    }

    /// Milliseconds since the epoch as "25.11.2026 14:05 (UTC+3)" in the given offset.
    static func timestamp(milliseconds: Int64, utcOffsetMinutes: Int) -> String {
        let time = UnixTime.civil(milliseconds: milliseconds, utcOffsetMinutes: utcOffsetMinutes)
        return "\(pad(time.day)).\(pad(time.month)).\(time.year) \(pad(time.hour)):\(pad(time.minute)) (\(zoneName(utcOffsetMinutes)))"
    }

    /// "МСК" for Moscow time, "UTC" for zero, otherwise "UTC+5" or "UTC+5:30".
    static func zoneName(_ offsetMinutes: Int) -> String {
        if offsetMinutes == 180 { return "МСК" }
        if offsetMinutes == 0 { return "UTC" }
        let sign = offsetMinutes < 0 ? "−" : "+"
        let hours = abs(offsetMinutes) / 60, minutes = abs(offsetMinutes) % 60
        return "UTC\(sign)\(hours)" + (minutes == 0 ? "" : ":\(pad(Int64(minutes)))")
    }

    /// A duration for people: "350 мс", "4,2 с", "3 ч 20 мин", "5 дн.".
    static func duration(milliseconds: Int64) -> String {
        switch milliseconds {
        case ..<1000: return "\(milliseconds)\u{00A0}мс"
        case ..<60_000: return decimal(Double(milliseconds) / 1000, places: 1) + "\u{00A0}с"
        case ..<3_600_000: return "\(milliseconds / 60_000)\u{00A0}мин"
        case ..<86_400_000:
            let minutes = milliseconds / 60_000 % 60
            return "\(milliseconds / 3_600_000)\u{00A0}ч" + (minutes == 0 ? "" : " \(minutes)\u{00A0}мин")
        default: return "\(milliseconds / 86_400_000)\u{00A0}дн."
        }
    }

    /// "1 дело", "3 дела", "5 дел": the noun form for a count.
    static func plural(_ count: Int, _ one: String, _ few: String, _ many: String) -> String {
        let tens = count % 100, units = count % 10
        let form = (11...14).contains(tens) ? many : units == 1 ? one : (2...4).contains(units) ? few : many
        return "\(integer(Int64(count)))\u{00A0}\(form)"
    }

    private static func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
