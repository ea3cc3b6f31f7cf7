internal import Prometheus
internal import Synchronization
#if canImport(Glibc)
internal import Glibc
#endif
#if canImport(SwiftOverlayShims)
// timespec/timeval fields come from here under MemberImportVisibility (release builds insist).
internal import SwiftOverlayShims
#endif

/// The standard `process_*` metrics Prometheus client libraries export, read from `/proc/self` at scrape
/// time: resident and virtual memory, CPU seconds, open file descriptors and start time.
final class ProcessMetrics: Sendable {
    private let residentMemory: Gauge
    private let virtualMemory: Gauge
    private let openFDs: Gauge
    private let maxFDs: Gauge
    private let startTime: Gauge
    private let cpuSeconds: Counter
    /// The CPU total last exported: the counter has no getter and only takes increments.
    private let exportedCPUSeconds = Mutex(0.0)

    init(registry: PrometheusCollectorRegistry) {
        residentMemory = registry.makeGauge(descriptor: .named("process_resident_memory_bytes", help: "Resident memory size in bytes."))
        virtualMemory = registry.makeGauge(descriptor: .named("process_virtual_memory_bytes", help: "Virtual memory size in bytes."))
        openFDs = registry.makeGauge(descriptor: .named("process_open_fds", help: "Number of open file descriptors."))
        maxFDs = registry.makeGauge(descriptor: .named("process_max_fds", help: "Maximum number of open file descriptors."))
        startTime = registry.makeGauge(descriptor: .named("process_start_time_seconds", help: "Start time of the process since the Unix epoch in seconds."))
        cpuSeconds = registry.makeCounter(descriptor: .named("process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds."))
        startTime.set(to: Self.startTimeSeconds() ?? 0)
    }

    func update() {
        if let stat = Self.readStat() {
            let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
            residentMemory.set(to: Double(stat.residentPages) * pageSize)
            virtualMemory.set(to: Double(stat.virtualBytes))
        }
        var usage = rusage()
        if getrusage(RUSAGE_SELF.rawValue, &usage) == 0 {
            let total = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
                + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
            let delta = exportedCPUSeconds.withLock { exported in
                defer { exported = max(exported, total) }
                return total - exported
            }
            if delta > 0 { cpuSeconds.increment(by: delta) }
        }
        openFDs.set(to: Double(Self.countOpenFDs()))
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { maxFDs.set(to: Double(limit.rlim_cur)) }
    }

    private struct Stat {
        var virtualBytes: UInt64
        var residentPages: UInt64
        var startTicks: UInt64
    }

    /// Fields of `/proc/self/stat` after the command name (which may contain spaces, hence the `)` split).
    private static func readStat() -> Stat? {
        guard let text = readFile("/proc/self/stat"), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After ")": state is field 3 of proc(5), so field n is at index n - 3.
        guard fields.count > 21, let start = UInt64(fields[19]), let vsize = UInt64(fields[20]), let rss = UInt64(fields[21])
        else { return nil }
        return Stat(virtualBytes: vsize, residentPages: rss, startTicks: start)
    }

    private static func startTimeSeconds() -> Double? {
        guard let stat = readStat(), let uptime = readFile("/proc/uptime")?.split(separator: " ").first.flatMap({ Double($0) })
        else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let bootTime = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 - uptime
        return bootTime + Double(stat.startTicks) / ticks
    }

    private static func countOpenFDs() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { $0.first == UInt8(ascii: ".") }
            if !isDot { count += 1 }
        }
        return count - 1  // the descriptor opendir itself holds
    }

    private static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

