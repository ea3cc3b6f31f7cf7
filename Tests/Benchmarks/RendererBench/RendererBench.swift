// Renderer benchmark: time per PDF for a typical (3-page) and a long (~30-page) report, renders per second with
// several rendering at once, the other formats, and peak RSS. In-process, so it measures rendering and not the
// RPC (the RPC path adds one chunked stream; see rpc_bench.py for its cost).
internal import ArgumentParser
internal import Contracts
internal import Dispatch
internal import Glibc
internal import ReportFixtures
internal import ReportRenderer

@main
struct RendererBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "renderer-bench", abstract: "Measure the report renderer.")

    @Option(help: "Renders per latency measurement.")
    var iterations = 200

    @Option(help: "Renders per throughput measurement (bounded, split across the threads).")
    var throughputRenders = 400

    func run() throws {
        let typical = ReportFixtures.clean
        let long = ReportFixtures.long
        print("renderer-bench: \(iterations) renders per latency figure; warm (fonts loaded) on every thread")
        for (name, report, count) in [("typical", typical, iterations), ("long", long, max(iterations / 10, 10))] {
            let (pages, bytes) = try Self.warm(report, format: .pdf)
            let times = try (0..<count).map { _ in try Self.time { _ = try Self.render(report, format: .pdf) } }
            print("pdf \(name) report (\(pages) pages, \(bytes / 1024) KiB): \(Self.summary(times))")
        }
        for (format, label) in [(RenderV1.Format.html, "html"), (.markdown, "markdown"), (.csv, "csv")] {
            let times = try (0..<iterations).map { _ in try Self.time { _ = try Self.render(typical, format: format) } }
            print("\(label) typical report: \(Self.summary(times))")
        }
        for threads in [1, 2, 4] {
            let perThread = throughputRenders / threads
            let start = ContinuousClock.now
            DispatchQueue.concurrentPerform(iterations: threads) { _ in
                for _ in 0..<perThread { _ = try? Self.render(typical, format: .pdf) }
            }
            let seconds = Self.seconds(ContinuousClock.now - start)
            print("pdf typical, \(threads) concurrent: \(Int(Double(perThread * threads) / seconds)) renders/s")
        }
        print("peak RSS: \(Self.peakRSSKiB() / 1024) MiB")
    }

    static func render(_ report: CommonV1.Report, format: RenderV1.Format) throws -> RenderedDocument {
        try DocumentRenderer.render(.with { $0.report = report; $0.format = format }, generatedAtMs: 1_795_167_000_000)
    }

    static func warm(_ report: CommonV1.Report, format: RenderV1.Format) throws -> (Int, Int) {
        var document = try render(report, format: format)
        for _ in 0..<3 { document = try render(report, format: format) }
        return (document.pageCount, document.bytes.count)
    }

    static func time(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        return seconds(ContinuousClock.now - start) * 1000
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func summary(_ milliseconds: [Double]) -> String {
        let sorted = milliseconds.sorted()
        func at(_ fraction: Double) -> String {
            let value = sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
            return String(Int(value * 100)) .inserting(decimalAt: 2)
        }
        return "p50 \(at(0.5)) ms, p99 \(at(0.99)) ms"
    }

    /// VmHWM from /proc/self/status.
    static func peakRSSKiB() -> Int {
        guard let file = fopen("/proc/self/status", "r") else { return 0 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, 256, file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("VmHWM:") { return Int(text.split(separator: " ").dropFirst().first ?? "0") ?? 0 }
        }
        return 0
    }
}

extension String {
    /// "1234" with two decimals → "12.34".
    fileprivate func inserting(decimalAt places: Int) -> String {
        let padded = String(repeating: "0", count: max(0, places + 1 - count)) + self
        return String(padded.dropLast(places)) + "." + String(padded.suffix(places))
    }
}
