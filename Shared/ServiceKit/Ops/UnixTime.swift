#if canImport(Glibc)
internal import Glibc
#endif
#if canImport(SwiftOverlayShims)
// timespec/timeval fields come from here under MemberImportVisibility (release builds insist).
internal import SwiftOverlayShims
#endif

/// Wall-clock time, for the timestamps services report (`started_at_ms`, `collected_at_ms`).
package enum UnixTime {
    package static var nowMilliseconds: Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}

extension UnixTime {
    /// A calendar date and time of day, proleptic Gregorian.
    package struct Civil: Sendable, Equatable {
        package var year: Int64, month: Int64, day: Int64
        package var hour: Int64, minute: Int64, second: Int64
    }

    /// Milliseconds since the epoch as a calendar date and time, `utcOffsetMinutes` east of UTC.
    package static func civil(milliseconds: Int64, utcOffsetMinutes: Int = 0) -> Civil {
        let local = milliseconds / 1000 + Int64(utcOffsetMinutes) * 60
        let secondOfDay = ((local % 86_400) + 86_400) % 86_400
        let days = (local - secondOfDay) / 86_400
        // Days since 1970-01-01 to a date (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return Civil(
            year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day,
            hour: secondOfDay / 3600, minute: secondOfDay % 3600 / 60, second: secondOfDay % 60)
    }

    /// "2026-11-25".
    package static func isoDate(milliseconds: Int64, utcOffsetMinutes: Int = 0) -> String {
        let civil = civil(milliseconds: milliseconds, utcOffsetMinutes: utcOffsetMinutes)
        return "\(civil.year)-\(pad(civil.month))-\(pad(civil.day))"
    }

    /// "2026-11-25T14:05:00", without a zone.
    package static func isoDateTime(milliseconds: Int64, utcOffsetMinutes: Int = 0) -> String {
        let civil = civil(milliseconds: milliseconds, utcOffsetMinutes: utcOffsetMinutes)
        return isoDate(milliseconds: milliseconds, utcOffsetMinutes: utcOffsetMinutes)
            + "T\(pad(civil.hour)):\(pad(civil.minute)):\(pad(civil.second))"
    }

    private static func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
