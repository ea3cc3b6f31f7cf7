internal import CPangoCairo

/// Font, size and colour of a piece of text.
struct TextStyle {
    var size: Double
    var bold = false
    var italic = false
    var color: RGB = Palette.text
    var alignment: ReportDocument.Alignment = .leading
    /// Lines shown at most, for one-paragraph text; the last one ends in "…" (0: no limit).
    var maxLines = 0
    /// Height in points shown at most, whatever the paragraphs; the last line ends in "…" (0: no limit).
    var maxHeight = 0.0

    static let body = TextStyle(size: 9.5)
}

/// Makes pango layouts for one document. Sizes are in points: the context's resolution is 72 dpi, so one
/// pango unit of size is one PDF unit, and hinting is off so measured widths are the printed widths.
///
/// Not thread-safe: pango's default font map is per thread, so one render runs on one thread from start to end.
final class Typesetter {
    static let fontFamily = "DejaVu Sans"
    private let context: OpaquePointer

    init() {
        context = pango_font_map_create_context(pango_cairo_font_map_get_default())
        pango_cairo_context_set_resolution(context, 72)
        let options = cairo_font_options_create()
        cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
        cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE)
        pango_cairo_context_set_font_options(context, options)
        cairo_font_options_destroy(options)
        pango_context_set_language(context, pango_language_from_string("ru"))
    }

    deinit { g_object_unref(UnsafeMutableRawPointer(context)) }

    /// Lays out `text` wrapped to `width` points.
    func layout(_ text: String, _ style: TextStyle, width: Double) -> TextLayout {
        let layout = pango_layout_new(context)!
        let font = pango_font_description_new()!
        pango_font_description_set_family(font, Self.fontFamily)
        pango_font_description_set_size(font, Int32((style.size * Double(PANGO_SCALE)).rounded()))
        pango_font_description_set_weight(font, style.bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL)
        pango_font_description_set_style(font, style.italic ? PANGO_STYLE_OBLIQUE : PANGO_STYLE_NORMAL)
        pango_layout_set_font_description(layout, font)
        pango_font_description_free(font)
        pango_layout_set_width(layout, Int32(max(1, width) * Double(PANGO_SCALE)))
        pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR)
        pango_layout_set_alignment(layout, style.alignment == .trailing ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT)
        // A negative height limits lines per paragraph, a positive one the whole text.
        if style.maxHeight > 0 {
            pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END)
            pango_layout_set_height(layout, Int32(style.maxHeight * Double(PANGO_SCALE)))
        } else if style.maxLines > 0 {
            pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END)
            pango_layout_set_height(layout, Int32(-style.maxLines))
        }
        pango_layout_set_text(layout, Self.printable(text), -1)
        return TextLayout(layout, color: style.color)
    }

    /// Control characters other than line breaks and tabs would print as boxes, so they become spaces; a space
    /// before "%" or "₽" becomes a no-break space so the sign never starts a line.
    static func printable(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        var previousWasSpace = false
        for scalar in text.unicodeScalars {
            if (scalar == "%" || scalar == "₽"), previousWasSpace { scalars.removeLast(); scalars.append("\u{00A0}") }
            let printable = scalar.value < 0x20 && scalar != "\n" && scalar != "\t" ? " " : scalar
            scalars.append(printable)
            previousWasSpace = printable == " "
        }
        return String(scalars)
    }
}

/// A laid-out piece of text: measured once, drawn later (possibly in slices across pages).
final class TextLayout {
    private let layout: OpaquePointer
    let color: RGB
    let width: Double
    let height: Double

    init(_ layout: OpaquePointer, color: RGB) {
        self.layout = layout
        self.color = color
        var width: Int32 = 0, height: Int32 = 0
        pango_layout_get_size(layout, &width, &height)
        self.width = Double(width) / Double(PANGO_SCALE)
        self.height = Double(height) / Double(PANGO_SCALE)
    }

    deinit { g_object_unref(UnsafeMutableRawPointer(layout)) }

    /// The bottom of every line, top to bottom: where the text may be cut between pages.
    var lineBottoms: [Double] {
        var bottoms: [Double] = []
        let iterator = pango_layout_get_iter(layout)
        defer { pango_layout_iter_free(iterator) }
        repeat {
            var top: Int32 = 0, bottom: Int32 = 0
            pango_layout_iter_get_line_yrange(iterator, &top, &bottom)
            bottoms.append(Double(bottom) / Double(PANGO_SCALE))
        } while pango_layout_iter_next_line(iterator) != 0
        return bottoms
    }

    /// Draws the text with its top-left corner at (x, y).
    func draw(_ cr: OpaquePointer, x: Double, y: Double) {
        cr.setColor(color)
        cairo_move_to(cr, x, y)
        pango_cairo_show_layout(cr, layout)
    }

    /// Fills the outline of the text: it prints like text but is not text, so copying and extraction skip it
    /// (the watermark).
    func fillOutline(_ cr: OpaquePointer, x: Double, y: Double) {
        cr.setColor(color)
        cairo_new_path(cr)
        cairo_move_to(cr, x, y)
        pango_cairo_layout_path(cr, layout)
        cairo_fill(cr)
    }

    /// Draws the part of the text between `from` and `to` (measured from its top) at (x, y).
    func drawSlice(_ cr: OpaquePointer, x: Double, y: Double, from: Double, to: Double) {
        cairo_save(cr)
        cairo_rectangle(cr, x - 2, y, width + 4, to - from)
        cairo_clip(cr)
        draw(cr, x: x, y: y - from)
        cairo_restore(cr)
    }
}

/// A colour with components in 0–1.
struct RGB: Hashable {
    var red: Double, green: Double, blue: Double

    init(_ hex: UInt32) {
        red = Double(hex >> 16 & 0xFF) / 255
        green = Double(hex >> 8 & 0xFF) / 255
        blue = Double(hex & 0xFF) / 255
    }

    /// "#RRGGBB", for HTML.
    var hex: String {
        let value = Int((red * 255).rounded()) << 16 | Int((green * 255).rounded()) << 8 | Int((blue * 255).rounded())
        let digits = String(value, radix: 16)
        return "#" + String(repeating: "0", count: 6 - digits.count) + digits
    }
}

extension OpaquePointer {
    /// `cairo_set_source_rgb` for a cairo context.
    func setColor(_ color: RGB) { cairo_set_source_rgb(self, color.red, color.green, color.blue) }
}
