import Contracts
import ReportFixtures
@testable import ReportRenderer
import Testing

/// The text formats: escaping, links and the CSV a spreadsheet opens safely.
@Suite("HTML, Markdown and CSV writers")
struct WriterTests {
    static func document(_ report: CommonV1.Report) -> ReportDocument {
        ReportDocument(report: report, options: ReportDocument.Options())
    }

    static var hostile: CommonV1.Report {
        var report = ReportFixtures.clean
        report.company?.shortName = "<script>alert(1)</script> & \"Ко\" | *жирный*"
        report.webMentions[0].url = "javascript:alert(1)"
        report.courtCases[0].category = "=HYPERLINK(\"http://evil\")"
        report.courtCases[1].counterparties = ["ООО \"Запятая, и кавычки\"\nвторая строка"]
        return report
    }

    @Test("HTML escapes everything it is given and links only http(s) URLs")
    func html() {
        let html = HTMLReportWriter.write(Self.document(Self.hostile))
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Ко&quot;"))
        #expect(!html.contains("href=\"javascript:"))
        #expect(html.contains("href=\"https://dreamjob.ru/employers/severny-veter\""))
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"ru\">"))
        #expect(html.contains("<section id=\"markers\">"))
    }

    @Test("Markdown escapes its active characters and keeps table cells on one line")
    func markdown() {
        let markdown = MarkdownReportWriter.write(Self.document(Self.hostile))
        #expect(markdown.hasPrefix("# \\<script\\>alert(1)\\</script\\> & \"Ко\" \\| \\*жирный\\*\n"))
        let tableLines = markdown.split(separator: "\n").filter { $0.hasPrefix("| ") }
        #expect(!tableLines.isEmpty)
        #expect(tableLines.allSatisfy { $0.hasSuffix(" |") })
        #expect(markdown.contains("[А40-118342/2025](https://kad.arbitr.ru/Card/401183422025)"))
        #expect(!markdown.contains("](javascript:"))
        #expect(MarkdownReportWriter.destination("https://a.ru/x) [y](javascript:z") == "https://a.ru/x%29%20[y]%28javascript:z")
    }

    @Test("the client's name and notes are in every format's header; the CSV has a row per source with its state")
    func clientLinesAndSourceRows() {
        let report = ReportFixtures.unidentified
        let document = Self.document(report)
        let html = HTMLReportWriter.write(document)
        #expect(html.contains("<p class=\"client\">Название со слов клиента: ООО «Балтийский янтарь»</p>"))
        #expect(html.contains("<p class=\"client\">Примечания клиента: Поставщик янтаря, договор на 2 млн ₽</p>"))
        let markdown = MarkdownReportWriter.write(document)
        #expect(markdown.contains("Название со слов клиента: ООО «Балтийский янтарь»  \n"))
        let csv = CSVReportWriter.write(report)
        #expect(csv.contains("\r\nисточник,dadata,DaData,,,,,,Нет сведений о компании,,DaData,,записей: 0; ИНН 3900123459 не найден в ЕГРЮЛ/ЕГРИП\r\n"))
        #expect(csv.split(separator: "\r\n").filter { $0.hasPrefix("источник,") }.count == 5)
    }

    @Test("CSV: a BOM, a Russian header, quoted fields, formulas neutralised, numbers left as numbers")
    func csv() {
        let csv = CSVReportWriter.write(Self.hostile)
        #expect(csv.hasPrefix("\u{FEFF}раздел,код_или_номер,название,важность,роль,категория,сумма_руб,вклад,статус,дата,источник,ссылка,подробности\r\n"))
        let lines = csv.split(separator: "\r\n", omittingEmptySubsequences: true)
        #expect(csv.contains(",\"'=HYPERLINK(\"\"http://evil\"\")\","))
        #expect(csv.contains("\"ООО \"\"Запятая, и кавычки\"\"\nвторая строка\""))
        #expect(csv.contains(",1845000.00,"))  // the claim, in roubles
        #expect(lines.count == 1 + 2 + 2 + Self.hostile.sources.count)  // header, two markers, two cases, the sources
        #expect(CSVReportWriter.field("-12.5") == "-12.5")
        #expect(CSVReportWriter.field("-cmd") == "'-cmd")
    }
}
