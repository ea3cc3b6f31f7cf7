// Writes the fixture reports (Tests/ReportFixtures) for the renderer's system tests and for people to look at:
// for each fixture a render request (`NAME.request.binpb`, the bytes a client sends, PDF format) and the
// document rendered in-process in every format (`NAME.pdf`, `.html`, `.md`, `.csv`).
internal import ArgumentParser
internal import Contracts
internal import ReportFixtures
internal import ReportRenderer
internal import ServiceKit
internal import Glibc

@main
struct RenderFixtures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render-fixtures", abstract: "Write the fixture reports as render requests and rendered documents.")

    @Argument(help: "Directory to write into (created if missing).")
    var directory: String

    @Flag(help: "Write the render requests only.")
    var requestsOnly = false

    func run() throws {
        mkdir(directory, 0o755)
        let formats: [(RenderV1.Format, String)] = [(.pdf, "pdf"), (.html, "html"), (.markdown, "md"), (.csv, "csv")]
        for (name, report) in ReportFixtures.all {
            let request = RenderV1.RenderRequest.with {
                $0.report = report
                $0.format = .pdf
                $0.options = .with { $0.utcOffsetMinutes = 180 }
            }
            try write(try request.serializedBytes(), to: "\(directory)/\(name).request.binpb")
            guard !requestsOnly else { continue }
            for (format, suffix) in formats {
                var request = request
                request.format = format
                let document = try DocumentRenderer.render(request, generatedAtMs: UnixTime.nowMilliseconds)
                try write(document.bytes, to: "\(directory)/\(name).\(suffix)")
                print("\(directory)/\(name).\(suffix)\t\(document.bytes.count) bytes" + (document.pageCount > 0 ? "\t\(document.pageCount) pages" : ""))
            }
        }
    }

    private func write(_ bytes: [UInt8], to path: String) throws {
        guard let file = fopen(path, "wb") else { throw ValidationError("cannot open \(path) for writing") }
        defer { fclose(file) }
        guard fwrite(bytes, 1, bytes.count, file) == bytes.count else { throw ValidationError("cannot write \(path)") }
    }
}
