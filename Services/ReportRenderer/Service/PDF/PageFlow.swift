internal import CPangoCairo

/// Places content down A4 pages. Everything is measured and placed first and drawn once the last page is
/// known, so each footer can say "стр. 2 из 5".
final class PageFlow {
    typealias Draw = (OpaquePointer) -> Void

    let left = 42.0
    let top = 58.0
    let bottom = PDFSurface.pageHeight - 52
    var width: Double { PDFSurface.pageWidth - 2 * left }

    private(set) var pages: [[Draw]] = [[]]
    private(set) var y: Double

    init() { y = top }

    var remaining: Double { bottom - y }
    var atTopOfPage: Bool { y <= top + 0.01 }
    var pageNumber: Int { pages.count }

    func newPage() {
        pages.append([])
        y = top
    }

    /// Forgets everything placed, once it has been drawn.
    func discardPages() { pages = [] }

    /// Starts a new page unless `height` more points fit on this one (or the page is still empty).
    func ensure(_ height: Double) {
        if height > remaining, !atTopOfPage { newPage() }
    }

    /// Reserves `height` points at the cursor and draws there later; `draw` gets the top of the space.
    func place(height: Double, draw: @escaping (OpaquePointer, Double) -> Void) {
        ensure(height)
        let at = y
        pages[pages.count - 1].append { draw($0, at) }
        y += height
    }

    /// Vertical space, which never runs past the bottom of the page.
    func skip(_ height: Double) { y = min(y + height, bottom) }

    /// Places text at `x`, cutting it between lines where the page ends.
    func placeText(_ text: TextLayout, x: Double) {
        let bottoms = text.lineBottoms
        var from = 0.0
        while from < text.height - 0.01 {
            let limit = from + remaining + 0.01
            guard let to = bottoms.last(where: { $0 <= limit && $0 > from + 0.01 }) ?? (atTopOfPage ? bottoms.first { $0 > from + 0.01 } : nil) else {
                newPage()
                continue
            }
            let (start, end) = (from, to)
            place(height: end - start) { cr, y in
                if start == 0, end >= text.height - 0.01 { text.draw(cr, x: x, y: y) } else { text.drawSlice(cr, x: x, y: y, from: start, to: end) }
            }
            from = to
            if from < text.height - 0.01 { newPage() }
        }
    }
}
