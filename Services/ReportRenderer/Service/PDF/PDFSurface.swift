internal import CPangoCairo

/// A cairo PDF surface that writes into memory.
final class PDFSurface {
    /// A4 in points.
    static let pageWidth = 595.276
    static let pageHeight = 841.89

    private final class Sink {
        var bytes: [UInt8] = []
    }

    private let sink = Sink()
    let surface: OpaquePointer
    let cr: OpaquePointer

    init() {
        let write: cairo_write_func_t = { closure, data, length in
            guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
            let sink = Unmanaged<Sink>.fromOpaque(closure).takeUnretainedValue()
            sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
            return CAIRO_STATUS_SUCCESS
        }
        surface = cairo_pdf_surface_create_for_stream(write, Unmanaged.passUnretained(sink).toOpaque(), Self.pageWidth, Self.pageHeight)
        cairo_pdf_surface_restrict_to_version(surface, CAIRO_PDF_VERSION_1_5)
        cr = cairo_create(surface)
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    func setMetadata(_ metadata: ReportDocument.Metadata) {
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, metadata.title)
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_SUBJECT, metadata.subject)
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_AUTHOR, metadata.author)
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_KEYWORDS, metadata.keywords.joined(separator: ", "))
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "Client Analyze report-renderer")
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, metadata.createdAt)
    }

    /// A bookmark in the viewer's outline pointing at a place on a page (1-based).
    func addOutline(_ title: String, page: Int, y: Double) {
        _ = cairo_pdf_surface_add_outline(surface, 0, title, "page=\(page) pos=[0 \(Int(y))]", cairo_pdf_outline_flags_t(0))
    }

    /// Ends the document and returns its bytes.
    func finish() throws(RenderFailure) -> [UInt8] {
        cairo_surface_finish(surface)
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw RenderFailure("cairo: " + String(cString: cairo_status_to_string(status)))
        }
        return sink.bytes
    }
}

/// Rendering failed inside a library (cairo, pango); the request itself was fine.
struct RenderFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
