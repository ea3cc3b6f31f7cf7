/// The report's colours. Risk zones follow the usual traffic light; everything else is quiet greys and one
/// accent, so colour always means something.
enum Palette {
    static let text = RGB(0x1F2328)
    static let secondary = RGB(0x59636E)
    static let faint = RGB(0x8C959F)
    static let rule = RGB(0xD0D7DE)
    static let band = RGB(0xF3F5F7)
    static let stripe = RGB(0xFAFBFC)
    static let accent = RGB(0x1F4E79)
    static let watermark = RGB(0xE6E8EB)

    static let good = RGB(0x2E7D32)
    static let caution = RGB(0xB7950B)
    static let warning = RGB(0xD35400)
    static let danger = RGB(0xC0392B)

    /// Text colour for a tone.
    static func text(_ tone: ReportDocument.Tone) -> RGB {
        switch tone {
        case .neutral: text
        case .muted: secondary
        case .good: good
        case .caution: RGB(0x8A6D00)
        case .warning: warning
        case .danger: danger
        }
    }

    /// Fill colour for a tone (bars, gauge zones).
    static func fill(_ tone: ReportDocument.Tone) -> RGB {
        switch tone {
        case .neutral: accent
        case .muted: RGB(0xB8C0C8)
        case .good: RGB(0x43A047)
        case .caution: RGB(0xF4C20D)
        case .warning: RGB(0xEF7D22)
        case .danger: RGB(0xD93F30)
        }
    }
}
