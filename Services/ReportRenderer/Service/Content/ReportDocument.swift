/// A report as a format-neutral document: a title block and sections of blocks. `ReportDocument.init(report:…)`
/// decides what the reader sees; the PDF, HTML and Markdown writers only decide how it looks.
struct ReportDocument: Sendable {
    /// What every writer may turn into a link: http(s) URLs of sane length; anything else (javascript:,
    /// data:) stays text.
    static func safeLink(_ url: String) -> String? {
        (url.hasPrefix("https://") || url.hasPrefix("http://")) && url.count < 2048 ? url : nil
    }

    /// Company name as the registry writes it; "Компания с ИНН …" when no registry knows it.
    var title: String
    /// "ИНН … · ОГРН … · КПП …".
    var identifiers: String
    /// What the client said about the subject (its name for it, the notes), each "label: text", shown under
    /// the identifiers as the client's words, never as registry data.
    var clientLines: [String] = []
    /// "Отчёт № 2 от 25.11.2026 14:05 (МСК) · повторный анализ".
    var versionLine: String
    /// The report's version in its thread.
    var version: Int
    /// Footer text without the page number.
    var footer: String
    var watermark: String?
    var metadata: Metadata
    var sections: [Section]

    /// Document properties (PDF info dictionary, HTML meta tags).
    struct Metadata: Sendable {
        var title: String
        var subject: String
        var author: String
        var keywords: [String]
        /// ISO 8601, e.g. "2026-11-25T14:05:00".
        var createdAt: String
    }

    struct Section: Sendable {
        /// Stable anchor, e.g. "markers".
        var id: String
        var title: String
        var blocks: [Block]
    }

    enum Block: Sendable {
        case paragraph(String, ParagraphStyle = .body)
        /// Label–value pairs (the company card, the verdict's facts).
        case fields([Field])
        case table(Table)
        case gauge(Gauge)
        case bars([Bar])
        case timeline(Timeline)
        /// A bulleted list.
        case list([ListItem])
        /// What stands where data is missing: "нет данных: …" with the reason.
        case missing(String)
    }

    enum ParagraphStyle: Sendable { case body, note, lead }

    /// How alarming something is; each format maps tones to its colours.
    enum Tone: Sendable, Hashable { case neutral, good, caution, warning, danger, muted }

    struct Field: Sendable {
        var label: String
        var value: String
        var tone: Tone = .neutral
    }

    struct Table: Sendable {
        var columns: [Column]
        var rows: [[Cell]]
        /// Shown under the table, e.g. "и ещё 120 дел на сумму …".
        var footnote: String? = nil
    }

    struct Column: Sendable {
        var title: String
        /// Relative width.
        var width: Double
        var alignment: Alignment = .leading
    }

    enum Alignment: Sendable { case leading, trailing }

    struct Cell: Sendable {
        var text: String
        /// A smaller second line (a description, a URL, an evidence trail).
        var detail: String = ""
        var link: String = ""
        var tone: Tone = .neutral
        /// Bold main text.
        var strong = false
    }

    struct Gauge: Sendable {
        /// 0–100; nil when no level is claimed.
        var score: Double?
        var levelLabel: String
        var tone: Tone
        var facts: [Field]
    }

    struct Bar: Sendable {
        var label: String
        /// 0–100; nil means "нет данных".
        var value: Double?
        /// E.g. "вес 30 %".
        var caption: String
        var tone: Tone
    }

    /// Counts per year for a few series (court cases by role).
    struct Timeline: Sendable {
        var years: [Int]
        var series: [Series]

        struct Series: Sendable {
            var label: String
            var tone: Tone
            /// One count per year.
            var counts: [Int]
        }
    }

    struct ListItem: Sendable {
        var text: String
        var tone: Tone = .neutral
        /// Prefix such as "Высокий приоритет".
        var label: String = ""
    }
}
