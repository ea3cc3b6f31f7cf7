internal import Glibc

/// The report as one self-contained HTML page (inline CSS and SVG, no scripts, no external requests), for the
/// web page and e-mail.
enum HTMLReportWriter {
    static func write(_ document: ReportDocument) -> String {
        var out = """
            <!DOCTYPE html>
            <html lang="ru">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(document.metadata.title))</title>
            <meta name="description" content="\(escape(document.metadata.subject))">
            <meta name="keywords" content="\(escape(document.metadata.keywords.joined(separator: ", ")))">
            <meta name="author" content="\(escape(document.metadata.author))">
            <style>\(style)</style>
            </head>
            <body>
            <main>
            <header>
            <p class="kicker">Проверка контрагента</p>
            <h1>\(escape(document.title))</h1>
            <p class="ids">\(escape(document.identifiers))</p>
            \(document.clientLines.map { "<p class=\"client\">\(escape($0))</p>\n" }.joined())<p class="version">\(escape(document.versionLine))</p>

            """
        if let watermark = document.watermark { out += "<p class=\"watermark\">\(escape(watermark))</p>\n" }
        out += "</header>\n"
        for section in document.sections {
            out += "<section id=\"\(section.id)\">\n<h2>\(escape(section.title))</h2>\n"
            for block in section.blocks { out += self.block(block) }
            out += "</section>\n"
        }
        out += "<footer>\(escape(document.footer))</footer>\n</main>\n</body>\n</html>\n"
        return out
    }

    static func block(_ block: ReportDocument.Block) -> String {
        switch block {
        case .paragraph(let text, let style):
            let kind = switch style {
            case .body: ""
            case .lead: " class=\"lead\""
            case .note: " class=\"note\""
            }
            return "<p\(kind)>\(lines(text))</p>\n"
        case .missing(let reason):
            return "<p class=\"missing\">\(lines(reason))</p>\n"
        case .fields(let fields):
            return fieldList(fields)
        case .gauge(let gauge):
            return "<div class=\"verdict\">\(gaugeSVG(gauge))\(fieldList(gauge.facts))</div>\n"
        case .bars(let bars):
            var out = "<table class=\"bars\">\n"
            for bar in bars {
                let fill = bar.value.map {
                    "<div class=\"fill\" style=\"width:\(Int(min(max($0, 0), 100).rounded()))%;background:\(Palette.fill(bar.tone).hex)\"></div>"
                } ?? "<div class=\"nodata\"></div>"
                out += "<tr><th>\(escape(bar.label))</th><td class=\"track\">\(fill)</td><td class=\"caption\">\(escape(bar.caption))</td></tr>\n"
            }
            return out + "</table>\n"
        case .timeline(let timeline):
            var out = "<table class=\"data timeline\">\n<caption>Дела по годам и роли компании</caption>\n<thead><tr><th>Год</th>"
            out += timeline.series.map { "<th class=\"num\">\(escape($0.label))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
            for (index, year) in timeline.years.enumerated() {
                out += "<tr><td>\(year)</td>" + timeline.series.map { "<td class=\"num\">\($0.counts[index])</td>" }.joined() + "</tr>\n"
            }
            return out + "</tbody></table>\n"
        case .list(let items):
            return "<ul>\n" + items.map { item in
                let label = item.label.isEmpty ? "" : "<strong style=\"color:\(Palette.text(item.tone).hex)\">\(escape(item.label)).</strong> "
                return "<li>\(label)\(lines(item.text))</li>\n"
            }.joined() + "</ul>\n"
        case .table(let table):
            var out = "<table class=\"data\">\n<thead><tr>"
            out += table.columns.map { "<th\($0.alignment == .trailing ? " class=\"num\"" : "")>\(escape($0.title))</th>" }.joined()
            out += "</tr></thead>\n<tbody>\n"
            for row in table.rows {
                out += "<tr>"
                for (cell, column) in zip(row, table.columns) {
                    var text = lines(cell.text)
                    if cell.strong { text = "<strong>\(text)</strong>" }
                    if let link = ReportDocument.safeLink(cell.link) { text = "<a href=\"\(escape(link))\" rel=\"noopener noreferrer\">\(text)</a>" }
                    if !cell.detail.isEmpty { text += "<br><small>\(lines(cell.detail))</small>" }
                    let color = cell.tone == .neutral ? "" : " style=\"color:\(Palette.text(cell.tone).hex)\""
                    out += "<td\(column.alignment == .trailing ? " class=\"num\"" : "")\(color)>\(text)</td>"
                }
                out += "</tr>\n"
            }
            out += "</tbody></table>\n"
            if let footnote = table.footnote { out += "<p class=\"note\">\(escape(footnote))</p>\n" }
            return out
        }
    }

    static func fieldList(_ fields: [ReportDocument.Field]) -> String {
        "<dl>\n" + fields.map { field in
            let color = field.tone == .neutral ? "" : " style=\"color:\(Palette.text(field.tone).hex)\""
            return "<dt>\(escape(field.label))</dt><dd\(color)>\(lines(field.value))</dd>\n"
        }.joined() + "</dl>\n"
    }

    /// The half-dial of the PDF as inline SVG.
    static func gaugeSVG(_ gauge: ReportDocument.Gauge) -> String {
        /// Where a score falls on a circle of `radius` around the dial's centre (80, 80).
        func point(_ score: Double, _ radius: Double) -> (x: String, y: String) {
            let angle = Double.pi * (1 + score / 100)
            return (format(80 + radius * cos(angle)), format(80 + radius * sin(angle)))
        }
        var out = "<svg class=\"gauge\" viewBox=\"0 0 160 110\" width=\"160\" height=\"110\" role=\"img\" aria-label=\"\(escape(gauge.levelLabel))\">"
        for (from, to, tone) in [(0.0, 25.0, ReportDocument.Tone.good), (25, 50, .caution), (50, 75, .warning), (75, 100, .danger)] {
            let color = Palette.fill(gauge.score == nil ? .muted : tone).hex
            let (start, end) = (point(from + 0.5, 62), point(to - 0.5, 62))
            out += "<path d=\"M \(start.x) \(start.y) A 62 62 0 0 1 \(end.x) \(end.y)\" stroke=\"\(color)\" stroke-width=\"13\" fill=\"none\"/>"
        }
        if let score = gauge.score {
            let tip = point(score, 58)
            out += "<line x1=\"80\" y1=\"80\" x2=\"\(tip.x)\" y2=\"\(tip.y)\" stroke=\"#1f2328\" stroke-width=\"2.2\" stroke-linecap=\"round\"/>"
            out += "<circle cx=\"80\" cy=\"80\" r=\"4\" fill=\"#1f2328\"/>"
            out += "<text x=\"80\" y=\"68\" text-anchor=\"middle\" font-size=\"22\" font-weight=\"bold\" fill=\"\(Palette.text(gauge.tone).hex)\">\(RussianFormat.decimal(score, places: 0))</text>"
        }
        out += "<text x=\"80\" y=\"102\" text-anchor=\"middle\" font-size=\"10\" font-weight=\"bold\" fill=\"\(Palette.text(gauge.tone).hex)\">\(escape(gauge.levelLabel))</text></svg>"
        return out
    }


    static func lines(_ text: String) -> String {
        escape(text).split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "<br>")
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    private static func format(_ value: Double) -> String { String((value * 10).rounded() / 10) }


    static let style = """
        body{margin:0;background:#f6f8fa;color:#1f2328;font:15px/1.5 "DejaVu Sans",Arial,sans-serif}\
        main{max-width:960px;margin:0 auto;background:#fff;padding:32px 40px}\
        .kicker{margin:0;font-size:11px;font-weight:bold;letter-spacing:.05em;color:#59636e;text-transform:uppercase}\
        h1{margin:4px 0;color:#1f4e79;font-size:26px}h2{color:#1f4e79;font-size:19px;border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:32px}\
        .ids{margin:0;font-size:15px}.client{margin:2px 0 0;font-size:14px;white-space:pre-line}.version{margin:2px 0 0;color:#59636e;font-size:13px}\
        .watermark{display:inline-block;margin-top:8px;padding:2px 8px;border:1px solid #c0392b;color:#c0392b;font-weight:bold;font-size:12px}\
        header{border-bottom:2px solid #1f4e79;padding-bottom:12px}\
        .lead{font-weight:bold}.note{font-style:italic;color:#59636e;font-size:13px}\
        .missing{background:#f3f5f7;border-left:3px solid #8c959f;padding:6px 10px;font-style:italic;color:#59636e}\
        dl{display:grid;grid-template-columns:30% 70%;margin:0}dt{color:#59636e;font-size:13px;padding:3px 0;border-bottom:1px solid #f3f5f7}\
        dd{margin:0;padding:3px 0;border-bottom:1px solid #f3f5f7}\
        .verdict{display:flex;gap:24px;align-items:flex-start}.verdict dl{flex:1}\
        table.data{border-collapse:collapse;width:100%;font-size:13px}table.data th{background:#f3f5f7;color:#59636e;text-align:left;font-size:12px}\
        table.data th,table.data td{padding:5px 6px;vertical-align:top;border-bottom:1px solid #d0d7de}\
        table.data tbody tr:nth-child(even){background:#fafbfc}.num{text-align:right}small{color:#59636e}\
        table.bars{width:100%;border-collapse:collapse}table.bars th{text-align:left;font-weight:normal;width:30%;padding:3px 0}\
        .track{background:#f3f5f7;height:12px;padding:0}.fill{height:12px}\
        .nodata{height:12px;background:repeating-linear-gradient(135deg,#d0d7de 0 2px,transparent 2px 6px)}\
        .caption{color:#59636e;font-size:12px;padding-left:10px;width:25%}caption{text-align:left;color:#59636e;font-weight:bold}\
        a{color:#1f4e79}footer{margin-top:32px;border-top:1px solid #d0d7de;padding-top:8px;color:#8c959f;font-size:12px}
        """
}
