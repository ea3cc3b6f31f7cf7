// contracts-bench: encode and decode time and allocations per message through the protobuf-c bridge.
// Run by `make bench` (release build). Target: a full report (50 court cases, 30 web mentions, 20 markers)
// encodes and decodes in under 100 µs together.
import CMallocCounter
import Contracts
import ContractsTestSupport

#if canImport(Glibc)
import Glibc
#endif

struct Measurement {
    var name: String
    var bytes: Int
    var encode: Stats
    var decode: Stats
}

struct Stats {
    var medianMicros: Double
    var p99Micros: Double
    var allocations: Double

    init(durations: [Duration], allocations: UInt64, iterations: Int) {
        let micros = durations.map { Double($0.components.attoseconds) / 1e12 + Double($0.components.seconds) * 1e6 }
            .sorted()
        medianMicros = micros[micros.count / 2]
        p99Micros = micros[min(micros.count - 1, micros.count * 99 / 100)]
        self.allocations = Double(allocations) / Double(iterations)
    }
}

func measure<M: ProtoMessage>(_ name: String, _ message: M, iterations: Int) throws -> Measurement {
    let clock = ContinuousClock()
    let bytes = try message.serializedBytes()
    for _ in 0..<iterations / 10 {  // warm up caches and the allocator
        _ = try M(serializedBytes: try message.serializedBytes())
    }

    var encodeTimes: [Duration] = []
    encodeTimes.reserveCapacity(iterations)
    var sink = 0
    let encodeAllocationsBefore = cla_malloc_count()
    for _ in 0..<iterations {
        let start = clock.now
        sink &+= try message.serializedBytes().count
        encodeTimes.append(clock.now - start)
    }
    let encodeAllocations = cla_malloc_count() - encodeAllocationsBefore

    var decodeTimes: [Duration] = []
    decodeTimes.reserveCapacity(iterations)
    let decodeAllocationsBefore = cla_malloc_count()
    for _ in 0..<iterations {
        let start = clock.now
        let decoded = try M(serializedBytes: bytes)
        decodeTimes.append(clock.now - start)
        if decoded != message { fatalError("\(name) did not round-trip") }
    }
    let decodeAllocations = cla_malloc_count() - decodeAllocationsBefore
    precondition(sink > 0 || bytes.isEmpty)
    return Measurement(
        name: name,
        bytes: bytes.count,
        encode: Stats(durations: encodeTimes, allocations: encodeAllocations, iterations: iterations),
        decode: Stats(durations: decodeTimes, allocations: decodeAllocations, iterations: iterations)
    )
}

// `contracts-bench profile-encode|profile-decode [N]` loops N times (20 000) over one operation only, for
// `perf record` or `valgrind --tool=callgrind` (whose instruction counts compare two builds exactly).
if let mode = CommandLine.arguments.dropFirst().first {
    let report = SampleReport.full()
    let bytes = try report.serializedBytes()
    var sink = 0
    for _ in 0..<(CommandLine.arguments.dropFirst(2).first.flatMap { Int($0) } ?? 20_000) {
        switch mode {
        case "profile-encode": sink &+= try report.serializedBytes().count
        case "profile-decode": sink &+= try CommonV1.Report(serializedBytes: bytes).courtCases.count
        default: fatalError("usage: contracts-bench [profile-encode | profile-decode [iterations]]")
        }
    }
    print(sink)
    exit(0)
}

let iterations = 5_000
let results = try [
    measure("Report (50 cases, 30 mentions, 20 markers)", SampleReport.full(), iterations: iterations),
    measure("Report (500 cases, 1000 mentions)", SampleReport.full(courtCases: 500, webMentions: 1000), iterations: 500),
    measure("Job", CommonV1.Job.with {
        $0.id = "job_01JDQ8Z3K4M5N6P7Q8R9S0T1V3"
        $0.request = .with { $0.inn = "7707083893"; $0.notes = "поставщик бумаги" }
        $0.state = .running
        $0.labels = ["source": "cli"]
    }, iterations: iterations),
    measure("ProgressEvent", CommonV1.ProgressEvent.with {
        $0.jobId = "job_01JDQ8Z3K4M5N6P7Q8R9S0T1V3"
        $0.stage = .registries
        $0.percent = 40
        $0.message = "Запрос в DaData"
        $0.detail = .source(.with { $0.source = .dadata; $0.state = .ok })
    }, iterations: iterations),
    measure("HealthCheckRequest", GrpcHealthV1.HealthCheckRequest.with { $0.service = "storage" }, iterations: iterations),
]

func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }
func num(_ v: Double) -> String { v >= 100 ? String(Int(v.rounded())) : String(Int((v * 10).rounded()) / 10) + "." + String(Int((v * 10).rounded()) % 10) }

print("contracts-bench: protobuf-c bridge, release build, median and p99 over the iterations, µs per message")
print(pad("message", 46) + pad("bytes", 8) + pad("enc p50", 9) + pad("enc p99", 9) + pad("enc allocs", 12)
    + pad("dec p50", 9) + pad("dec p99", 9) + pad("dec allocs", 12) + "enc+dec p50")
for r in results {
    print(pad(r.name, 46) + pad(String(r.bytes), 8) + pad(num(r.encode.medianMicros), 9) + pad(num(r.encode.p99Micros), 9)
        + pad(num(r.encode.allocations), 12) + pad(num(r.decode.medianMicros), 9) + pad(num(r.decode.p99Micros), 9)
        + pad(num(r.decode.allocations), 12) + num(r.encode.medianMicros + r.decode.medianMicros))
}
let full = results[0]
let total = full.encode.medianMicros + full.decode.medianMicros
print("target: full report encode + decode < 100 µs: \(num(total)) µs — \(total < 100 ? "met" : "NOT met")")
