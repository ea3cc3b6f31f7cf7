internal import CPangoCairo

/// Writes a `ReportDocument` as an A4 PDF: title block, sections with bookmarks, running header, footer with
/// page numbers, watermark, and the document properties. One call runs on one thread from start to end.
final class PDFReportWriter {
    let document: ReportDocument
    let typesetter = Typesetter()
    let flow = PageFlow()
    private var outline: [(title: String, page: Int, y: Double)] = []

    /// The document's bytes and page count.
    static func write(_ document: ReportDocument) throws(RenderFailure) -> (bytes: [UInt8], pages: Int) {
        let writer = PDFReportWriter(document)
        // The placed drawings capture the flow and the writer; dropping them afterwards breaks those cycles.
        defer { writer.flow.discardPages() }
        writer.layOut()
        return try writer.draw()
    }

    private init(_ document: ReportDocument) { self.document = document }

    private func layOut() {
        titleBlock()
        for section in document.sections {
            heading(section.title)
            for block in section.blocks {
                place(block)
                flow.skip(8)
            }
            flow.skip(6)
        }
    }

    private func draw() throws(RenderFailure) -> (bytes: [UInt8], pages: Int) {
        let surface = PDFSurface()
        surface.setMetadata(document.metadata)
        for entry in outline { surface.addOutline(entry.title, page: entry.page, y: entry.y) }
        let cr = surface.cr
        // One structure element around everything: cairo 1.16 otherwise references a structure tree it never
        // writes as soon as a page has a link, and the file fails `qpdf --check`.
        cairo_tag_begin(cr, "Document", "")
        let total = flow.pages.count
        let footer = typesetter.layout(document.footer, TextStyle(size: 7, color: Palette.faint), width: flow.width - 80)
        let runningTitle = typesetter.layout(
            document.title + " · " + document.identifiers, TextStyle(size: 7, color: Palette.faint, maxLines: 1), width: flow.width - 120)
        let version = typesetter.layout("Отчёт № \(document.version)", TextStyle(size: 7, color: Palette.faint, alignment: .trailing), width: 110)
        let watermark = document.watermark.map { typesetter.layout($0, TextStyle(size: 54, bold: true, color: Palette.danger), width: 900) }
        for (index, page) in flow.pages.enumerated() {
            for item in page { item(cr) }
            if index > 0 {
                runningTitle.draw(cr, x: flow.left, y: 30)
                version.draw(cr, x: flow.left + flow.width - 110, y: 30)
                rule(cr, y: 42, color: Palette.rule)
            }
            rule(cr, y: PDFSurface.pageHeight - 40, color: Palette.rule)
            footer.draw(cr, x: flow.left, y: PDFSurface.pageHeight - 35)
            let number = typesetter.layout("стр. \(index + 1) из \(total)", TextStyle(size: 7, color: Palette.secondary, alignment: .trailing), width: 80)
            number.draw(cr, x: flow.left + flow.width - 80, y: PDFSurface.pageHeight - 35)
            if let watermark { drawWatermark(cr, watermark) }
            cairo_show_page(cr)
        }
        cairo_tag_end(cr, "Document")
        return (try surface.finish(), total)
    }

    private func rule(_ cr: OpaquePointer, y: Double, color: RGB, width: Double = 0.5) {
        cr.setColor(color)
        cairo_set_line_width(cr, width)
        cairo_move_to(cr, flow.left, y)
        cairo_line_to(cr, flow.left + flow.width, y)
        cairo_stroke(cr)
    }

    private func drawWatermark(_ cr: OpaquePointer, _ text: TextLayout) {
        cairo_save(cr)
        cairo_translate(cr, PDFSurface.pageWidth / 2, PDFSurface.pageHeight / 2)
        cairo_rotate(cr, -.pi / 5)
        cairo_push_group(cr)
        text.fillOutline(cr, x: -text.width / 2, y: -text.height / 2)
        cairo_pop_group_to_source(cr)
        cairo_paint_with_alpha(cr, 0.09)
        cairo_restore(cr)
    }

    private func titleBlock() {
        let width = flow.width
        let name = typesetter.layout(document.title, TextStyle(size: 17, bold: true, color: Palette.accent, maxLines: 4), width: width)
        let identifiers = typesetter.layout(document.identifiers, TextStyle(size: 10), width: width)
        let client = document.clientLines.map { typesetter.layout($0, TextStyle(size: 9, maxLines: 6), width: width) }
        let version = typesetter.layout(document.versionLine, TextStyle(size: 8.5, color: Palette.secondary), width: width)
        let kicker = typesetter.layout("ПРОВЕРКА КОНТРАГЕНТА", TextStyle(size: 7.5, bold: true, color: Palette.secondary), width: width)
        let height = kicker.height + 3 + name.height + 4 + identifiers.height + 2 + client.map { $0.height + 2 }.reduce(0, +)
            + version.height + 10
        flow.place(height: height) { [flow] cr, y in
            var y = y - 18
            kicker.draw(cr, x: flow.left, y: y)
            y += kicker.height + 3
            name.draw(cr, x: flow.left, y: y)
            y += name.height + 4
            identifiers.draw(cr, x: flow.left, y: y)
            y += identifiers.height + 2
            for line in client {
                line.draw(cr, x: flow.left, y: y)
                y += line.height + 2
            }
            version.draw(cr, x: flow.left, y: y)
            y += version.height + 6
            cr.setColor(Palette.accent)
            cairo_set_line_width(cr, 1.5)
            cairo_move_to(cr, flow.left, y)
            cairo_line_to(cr, flow.left + flow.width, y)
            cairo_stroke(cr)
        }
        flow.skip(6)
    }

    /// A section title, kept together with the start of what follows it.
    private func heading(_ title: String) {
        let text = typesetter.layout(title, TextStyle(size: 12.5, bold: true, color: Palette.accent), width: flow.width)
        flow.ensure(text.height + 6 + 70)
        outline.append((title, flow.pageNumber, flow.y))
        flow.place(height: text.height + 6) { [flow] cr, y in
            text.draw(cr, x: flow.left, y: y)
            cr.setColor(Palette.rule)
            cairo_set_line_width(cr, 0.75)
            cairo_move_to(cr, flow.left, y + text.height + 2)
            cairo_line_to(cr, flow.left + flow.width, y + text.height + 2)
            cairo_stroke(cr)
        }
        flow.skip(4)
    }

    private func place(_ block: ReportDocument.Block) {
        switch block {
        case .paragraph(let text, let style): paragraph(text, style)
        case .fields(let fields): self.fields(fields)
        case .table(let table): self.table(table)
        case .gauge(let gauge): self.gauge(gauge)
        case .bars(let bars): self.bars(bars)
        case .timeline(let timeline): self.timeline(timeline)
        case .list(let items): list(items)
        case .missing(let reason): missing(reason)
        }
    }
}
