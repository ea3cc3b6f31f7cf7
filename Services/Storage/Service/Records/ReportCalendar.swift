internal import ServiceKit

/// The days that report statistics and timelines count in.
enum ReportCalendar {
    static let day: Int64 = 86_400_000

    /// Where today and this week (from Monday) start, in ms, for a caller `utcOffsetMinutes` east of UTC.
    static func window(utcOffsetMinutes: Int32, now: Int64) -> (todayStart: Int64, weekStart: Int64) {
        let offset = Int64(utcOffsetMinutes) * 60_000
        let localDay = (now + offset).floorDivided(by: day)
        // 1970-01-01 was a Thursday: Monday-based weekday index of a day number is (day + 3) mod 7.
        return (localDay * day - offset, (localDay - (localDay + 3).positiveModulo(7)) * day - offset)
    }

    /// The UTC day numbers of a timeline of `days` days ending today.
    static func days(_ days: Int, now: Int64) -> ClosedRange<Int64> {
        let today = now.floorDivided(by: day)
        return (today - Int64(days) + 1)...today
    }

    /// `YYYY-MM-DD` of a day number since 1970-01-01.
    static func date(_ day: Int64) -> String { UnixTime.isoDate(milliseconds: day * self.day) }
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    func positiveModulo(_ divisor: Int64) -> Int64 {
        let remainder = self % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }
}
