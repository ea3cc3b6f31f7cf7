/// The report as Markdown (CommonMark with GitHub tables), for chats, tickets and wikis.
enum MarkdownReportWriter {
    static func write(_ document: ReportDocument) -> String {
        var out = "# \(inline(document.title))\n\n**\(inline(document.identifiers))**  \n"
            + document.clientLines.map { inline($0) + "  \n" }.joined() + "\(inline(document.versionLine))\n"
        if let watermark = document.watermark { out += "\n> **\(inline(watermark))**\n" }
        for section in document.sections {
            out += "\n## \(inline(section.title))\n"
            for block in section.blocks { out += "\n" + self.block(block) }
        }
        out += "\n---\n\n_\(inline(document.footer))_\n"
        return out
    }

    static func block(_ block: ReportDocument.Block) -> String {
        switch block {
        case .paragraph(let text, .lead): return "**\(inline(text))**\n"
        case .paragraph(let text, .note): return "_\(inline(text))_\n"
        case .paragraph(let text, .body): return inline(text) + "\n"
        case .missing(let reason): return "> \(inline(reason))\n"
        case .fields(let fields):
            return table(["Показатель", "Значение"], [false, false], fields.map { [$0.label, $0.value] })
        case .gauge(let gauge):
            let score = gauge.score.map { "**\(RussianFormat.decimal($0, places: 0)) из 100** — " } ?? ""
            return "\(score)**\(inline(gauge.levelLabel))**\n\n"
                + table(["Показатель", "Значение"], [false, false], gauge.facts.map { [$0.label, $0.value] })
        case .bars(let bars):
            return table(["Категория", "Оценка"], [false, false], bars.map { [$0.label, $0.caption] })
        case .timeline(let timeline):
            return table(
                ["Год"] + timeline.series.map(\.label), [false] + timeline.series.map { _ in true },
                timeline.years.enumerated().map { index, year in [String(year)] + timeline.series.map { String($0.counts[index]) } })
        case .list(let items):
            return items.map { "- " + ($0.label.isEmpty ? "" : "**\(inline($0.label)).** ") + inline($0.text) }.joined(separator: "\n") + "\n"
        case .table(let table):
            let rows = table.rows.map { row in
                row.map { cell in
                    var text = inline(cell.text)
                    if let link = ReportDocument.safeLink(cell.link) { text = "[\(text)](\(destination(link)))" }
                    if cell.strong { text = "**\(text)**" }
                    if !cell.detail.isEmpty { text += "<br>" + inline(cell.detail) }
                    return text
                }
            }
            var out = self.table(table.columns.map(\.title), table.columns.map { $0.alignment == .trailing }, rows, escaped: true)
            if let footnote = table.footnote { out += "\n_\(inline(footnote))_\n" }
            return out
        }
    }

    /// A GitHub table. Cells are escaped unless `escaped` says they already are.
    static func table(_ header: [String], _ trailing: [Bool], _ rows: [[String]], escaped: Bool = false) -> String {
        let cell = { (text: String) in escaped ? text : inline(text) }
        var out = "| " + header.map(inline).joined(separator: " | ") + " |\n"
        out += "|" + trailing.map { $0 ? " ---: |" : " --- |" }.joined() + "\n"
        for row in rows { out += "| " + row.map(cell).joined(separator: " | ") + " |\n" }
        return out
    }

    /// Text safe inside a paragraph or a table cell: Markdown's active characters escaped, lines joined by <br>.
    static func inline(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\", "`", "*", "_", "[", "]", "|", "<", ">", "#": out += "\\" + String(character)
            case "\n": out += "<br>"
            case "\r": break
            default: out.append(character)
            }
        }
        return out
    }

    /// A link destination that cannot end the link early or break the line: the characters Markdown reads in
    /// one are percent-encoded.
    static func destination(_ url: String) -> String {
        var out = ""
        for character in url {
            switch character {
            case " ": out += "%20"
            case "(": out += "%28"
            case ")": out += "%29"
            case "<": out += "%3C"
            case ">": out += "%3E"
            case "\n", "\r": continue
            default: out.append(character)
            }
        }
        return out
    }
}
