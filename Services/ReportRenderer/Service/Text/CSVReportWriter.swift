internal import Contracts
internal import ServiceKit

/// Risk markers, court cases and how each source fared as one CSV table (RFC 4180, UTF-8 with a byte-order mark so spreadsheet
/// programs read the Cyrillic right). Amounts are plain decimals in roubles and dates are ISO, for scripts.
enum CSVReportWriter {
    static let header = ["раздел", "код_или_номер", "название", "важность", "роль", "категория", "сумма_руб", "вклад", "статус", "дата", "источник", "ссылка", "подробности"]

    static func write(_ report: CommonV1.Report) -> String {
        var out = "\u{FEFF}" + line(header)
        for marker in report.risk?.markers ?? [] {
            out += line([
                "фактор риска", marker.code, marker.title, RussianLabels.severity(marker.severity), "", RussianLabels.category(marker.category), "",
                number(marker.contribution), "", marker.evidence.lazy.map(\.date).first { !$0.isEmpty } ?? "",
                Set(marker.evidence.map(\.source)).map(RussianLabels.source).sorted().joined(separator: ", "),
                marker.evidence.lazy.map(\.url).first { !$0.isEmpty } ?? "",
                marker.evidence.map { [$0.field, $0.value].filter { !$0.isEmpty }.joined(separator: " = ") }.joined(separator: "; "),
            ])
        }
        for item in report.courtCases {
            out += line([
                "судебное дело", item.number, item.court, "", RussianLabels.role(item.role), item.category,
                item.claimKopecks.map(roubles) ?? "", "", RussianLabels.caseStatus(item.status), item.date, "Casebook", item.url,
                (item.bankruptcy ? "банкротство; " : "") + item.counterparties.joined(separator: "; "),
            ])
        }
        // Without the sources' states a script reading the rows could not tell "no cases" from "Casebook failed".
        for status in report.sources {
            var state = RussianLabels.state(status.state)
            if status.state == .partial, status.queries > 0 { state += ": \(status.queriesAnswered) из \(status.queries) запросов" }
            let answered = [.ok, .cached, .notFound, .partial].contains(status.state)
            out += line([
                "источник", String(status.source.protoName.dropFirst("SOURCE_".count)).lowercased(), RussianLabels.source(status.source), "", "", "",
                "", "", state, status.fetchedAtMs > 0 ? UnixTime.isoDateTime(milliseconds: status.fetchedAtMs) + "Z" : "",
                RussianLabels.source(status.source), "", [answered ? "записей: \(status.items)" : "", status.reason].filter { !$0.isEmpty }.joined(separator: "; "),
            ])
        }
        return out
    }

    static func line(_ fields: [String]) -> String { fields.map(field).joined(separator: ",") + "\r\n" }

    /// Quoted when needed; a leading =, +, - or @ (other than in a number) is neutralised so a spreadsheet never runs it as a formula.
    static func field(_ value: String) -> String {
        var value = value
        if let first = value.first, "=+-@".contains(first), Double(value) == nil { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacing("\"", with: "\"\"") + "\""
    }

    static func roubles(_ kopecks: Int64) -> String {
        let rest = kopecks.magnitude % 100
        return (kopecks < 0 ? "-" : "") + "\(kopecks.magnitude / 100).\(rest < 10 ? "0" : "")\(rest)"
    }

    static func number(_ value: Double) -> String {
        let scaled = (value * 100).rounded() / 100
        return scaled == scaled.rounded() ? String(Int64(scaled)) : String(scaled)
    }
}
