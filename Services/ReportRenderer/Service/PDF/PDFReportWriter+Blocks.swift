internal import CPangoCairo

/// Text blocks: paragraphs, label–value fields, tables with repeated headers, lists, "нет данных" notes.
extension PDFReportWriter {
    func paragraph(_ text: String, _ style: ReportDocument.ParagraphStyle) {
        let textStyle = switch style {
        case .body: TextStyle.body
        case .lead: TextStyle(size: 9.5, bold: true)
        case .note: TextStyle(size: 8, italic: true, color: Palette.secondary)
        }
        flow.placeText(typesetter.layout(text, textStyle, width: flow.width), x: flow.left)
    }

    func missing(_ reason: String) {
        let text = typesetter.layout(reason, TextStyle(size: 9, italic: true, color: Palette.secondary, maxHeight: 120), width: flow.width - 16)
        flow.place(height: text.height + 10) { [flow] cr, y in
            cr.setColor(Palette.band)
            cairo_rectangle(cr, flow.left, y, flow.width, text.height + 10)
            cairo_fill(cr)
            cr.setColor(Palette.faint)
            cairo_rectangle(cr, flow.left, y, 2.5, text.height + 10)
            cairo_fill(cr)
            text.draw(cr, x: flow.left + 10, y: y + 5)
        }
    }

    func fields(_ fields: [ReportDocument.Field]) {
        let labelWidth = flow.width * 0.3
        for field in fields {
            let label = typesetter.layout(field.label, TextStyle(size: 8.5, color: Palette.secondary), width: labelWidth - 8)
            let value = typesetter.layout(field.value, TextStyle(size: 9.5, color: Palette.text(field.tone)), width: flow.width - labelWidth)
            let height = max(label.height, value.height) + 5
            guard height <= flow.bottom - flow.top else {
                // Taller than a page (forty founders): the value continues on the next pages, nothing is cut.
                flow.ensure(60)
                flow.place(height: 0) { [flow] cr, y in label.draw(cr, x: flow.left, y: y + 1.5) }
                flow.placeText(value, x: flow.left + labelWidth)
                flow.skip(5)
                continue
            }
            flow.place(height: height) { [flow] cr, y in
                label.draw(cr, x: flow.left, y: y + 1.5)
                value.draw(cr, x: flow.left + labelWidth, y: y + 1)
                cr.setColor(Palette.band)
                cairo_set_line_width(cr, 0.5)
                cairo_move_to(cr, flow.left, y + height - 0.5)
                cairo_line_to(cr, flow.left + flow.width, y + height - 0.5)
                cairo_stroke(cr)
            }
        }
    }

    func list(_ items: [ReportDocument.ListItem]) {
        let indent = 14.0
        for item in items {
            let text = item.label.isEmpty ? item.text : "\(item.label). \(item.text)"
            let layout = typesetter.layout(text, .body, width: flow.width - indent)
            let tone = item.tone
            flow.ensure(min(layout.height, 24))
            flow.place(height: 0) { [flow] cr, y in
                cr.setColor(Palette.fill(tone == .neutral ? .muted : tone))
                cairo_new_path(cr)  // else the arc is joined to wherever the last drawing ended
                cairo_arc(cr, flow.left + 4, y + 6.5, 2.6, 0, 2 * .pi)
                cairo_fill(cr)
            }
            flow.placeText(layout, x: flow.left + indent)
            flow.skip(3)
        }
    }

    func table(_ table: ReportDocument.Table) {
        let padding = 3.5
        let total = table.columns.map(\.width).reduce(0, +)
        var x = flow.left
        let columns = table.columns.map { column -> (x: Double, width: Double, column: ReportDocument.Column) in
            defer { x += flow.width * column.width / total }
            return (x, flow.width * column.width / total, column)
        }
        let headers = columns.map { column in
            typesetter.layout(
                column.column.title,
                TextStyle(size: 7.5, bold: true, color: Palette.secondary, alignment: column.column.alignment),
                width: column.width - 2 * padding)
        }
        let headerHeight = (headers.map(\.height).max() ?? 0) + 2 * padding
        let placeHeader = { [flow] in
            flow.place(height: headerHeight) { cr, y in
                cr.setColor(Palette.band)
                cairo_rectangle(cr, flow.left, y, flow.width, headerHeight)
                cairo_fill(cr)
                for (header, column) in zip(headers, columns) { header.draw(cr, x: column.x + padding, y: y + padding) }
            }
        }
        for (index, row) in table.rows.enumerated() {
            let cells = zip(row, columns).map { cell, column -> (main: TextLayout, detail: TextLayout?, link: String) in
                let width = column.width - 2 * padding
                let main = typesetter.layout(
                    cell.text.isEmpty ? "—" : cell.text,
                    TextStyle(size: 8.5, bold: cell.strong, color: Palette.text(cell.tone), alignment: column.column.alignment, maxHeight: 150),
                    width: width)
                let detail = cell.detail.isEmpty
                    ? nil
                    : typesetter.layout(cell.detail, TextStyle(size: 7.5, color: Palette.secondary, alignment: column.column.alignment, maxHeight: 80), width: width)
                return (main, detail, cell.link)
            }
            let height = (cells.map { $0.main.height + ($0.detail.map { $0.height + 1.5 } ?? 0) }.max() ?? 0) + 2 * padding
            if index == 0 {
                flow.ensure(headerHeight + height)
                placeHeader()
            } else if height > flow.remaining {
                flow.newPage()
                placeHeader()
            }
            let striped = index % 2 == 1
            flow.place(height: height) { [flow] cr, y in
                if striped {
                    cr.setColor(Palette.stripe)
                    cairo_rectangle(cr, flow.left, y, flow.width, height)
                    cairo_fill(cr)
                }
                for (cell, column) in zip(cells, columns) {
                    let link = Self.linkAttributes(cell.link)
                    if let link { cairo_tag_begin(cr, "Link", link) }
                    cell.main.draw(cr, x: column.x + padding, y: y + padding)
                    cell.detail?.draw(cr, x: column.x + padding, y: y + padding + cell.main.height + 1.5)
                    if link != nil { cairo_tag_end(cr, "Link") }
                }
                cr.setColor(Palette.rule)
                cairo_set_line_width(cr, 0.4)
                cairo_move_to(cr, flow.left, y + height)
                cairo_line_to(cr, flow.left + flow.width, y + height)
                cairo_stroke(cr)
            }
        }
        if let footnote = table.footnote {
            flow.skip(3)
            paragraph(footnote, .note)
        }
    }

    /// cairo's link attributes for an http(s) URL; other schemes are not made clickable.
    static func linkAttributes(_ url: String) -> String? {
        guard let url = ReportDocument.safeLink(url) else { return nil }
        let escaped = url.replacing("\\", with: "\\\\").replacing("'", with: "\\'")
        return "uri='\(escaped)'"
    }
}
