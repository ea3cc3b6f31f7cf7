@testable import ReportRenderer
import ServiceKit
import Testing

@Suite("Russian number, money and date formats")
struct RussianFormatTests {
    @Test("integers get no-break-space digit groups; decimals a comma")
    func numbers() {
        #expect(RussianFormat.integer(0) == "0")
        #expect(RussianFormat.integer(999) == "999")
        #expect(RussianFormat.integer(1_234_567) == "1\u{00A0}234\u{00A0}567")
        #expect(RussianFormat.integer(-1000) == "−1\u{00A0}000")
        #expect(RussianFormat.decimal(12.44) == "12,4")
        #expect(RussianFormat.decimal(0.05, places: 2) == "0,05")
        #expect(RussianFormat.decimal(-0.04) == "0,0")
        #expect(RussianFormat.decimal(.nan) == "—")
        #expect(RussianFormat.percent(fraction: 0.875) == "88\u{00A0}%")
    }

    @Test("money: exact sums keep kopecks, compact sums use тыс./млн/млрд")
    func money() {
        #expect(RussianFormat.money(kopecks: 123_456_789) == "1\u{00A0}234\u{00A0}567,89\u{00A0}₽")
        #expect(RussianFormat.money(kopecks: 100_000) == "1\u{00A0}000\u{00A0}₽")
        #expect(RussianFormat.money(kopecks: 5) == "0,05\u{00A0}₽")
        #expect(RussianFormat.compactMoney(kopecks: 95_000) == "950\u{00A0}₽")
        #expect(RussianFormat.compactMoney(kopecks: 1_230_000) == "12,3\u{00A0}тыс.\u{00A0}₽")
        #expect(RussianFormat.compactMoney(kopecks: 340_000_000) == "3,4\u{00A0}млн\u{00A0}₽")
        #expect(RussianFormat.compactMoney(kopecks: 120_000_000_000) == "1,2\u{00A0}млрд\u{00A0}₽")
    }

    @Test("dates and times: ISO dates as DD.MM.YYYY, instants in the requested offset")
    func dates() {
        #expect(RussianFormat.date("2024-03-15") == "15.03.2024")
        #expect(RussianFormat.date("2024-03-15T10:00:00Z") == "15.03.2024")
        #expect(RussianFormat.date("в прошлом году") == "в прошлом году")
        #expect(RussianFormat.year("2019-01-01") == 2019)
        #expect(RussianFormat.year("") == nil)
        // 2026-11-20 09:30 UTC.
        let instant: Int64 = 1_795_167_000_000
        #expect(RussianFormat.timestamp(milliseconds: instant, utcOffsetMinutes: 180) == "20.11.2026 12:30 (МСК)")
        #expect(RussianFormat.timestamp(milliseconds: instant, utcOffsetMinutes: 0) == "20.11.2026 09:30 (UTC)")
        #expect(RussianFormat.timestamp(milliseconds: instant, utcOffsetMinutes: -600) == "19.11.2026 23:30 (UTC−10)")
        #expect(RussianFormat.timestamp(milliseconds: 0, utcOffsetMinutes: 330) == "01.01.1970 05:30 (UTC+5:30)")
        #expect(UnixTime.isoDate(milliseconds: instant) == "2026-11-20")
        #expect(UnixTime.isoDateTime(milliseconds: instant + 5_000) == "2026-11-20T09:30:05")
        // A leap day, and a day before the epoch.
        #expect(UnixTime.isoDate(milliseconds: 1_709_164_800_000) == "2024-02-29")
        #expect(UnixTime.isoDate(milliseconds: -86_400_000) == "1969-12-31")
    }

    @Test("counts take the right noun form; durations read naturally")
    func words() {
        #expect(RussianFormat.plural(1, "дело", "дела", "дел") == "1\u{00A0}дело")
        #expect(RussianFormat.plural(3, "дело", "дела", "дел") == "3\u{00A0}дела")
        #expect(RussianFormat.plural(11, "дело", "дела", "дел") == "11\u{00A0}дел")
        #expect(RussianFormat.plural(21, "дело", "дела", "дел") == "21\u{00A0}дело")
        #expect(RussianFormat.plural(112, "дело", "дела", "дел") == "112\u{00A0}дел")
        #expect(RussianFormat.duration(milliseconds: 350) == "350\u{00A0}мс")
        #expect(RussianFormat.duration(milliseconds: 4_210) == "4,2\u{00A0}с")
        #expect(RussianFormat.duration(milliseconds: 5_400_000) == "1\u{00A0}ч 30\u{00A0}мин")
        #expect(RussianFormat.duration(milliseconds: 3 * 86_400_000) == "3\u{00A0}дн.")
    }
}
