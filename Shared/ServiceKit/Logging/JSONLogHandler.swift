package import Logging
#if canImport(Glibc)
internal import Glibc
#endif
#if canImport(SwiftOverlayShims)
// timespec/timeval fields come from here under MemberImportVisibility (release builds insist).
internal import SwiftOverlayShims
#endif

/// Writes one JSON object per line to standard error:
/// `{"ts":"2026-11-25T10:00:00.123Z","level":"info","service":"storage","msg":"…","request.id":"…",…}`.
///
/// swift-log has no JSON handler, and the format is small enough that writing it here keeps field order
/// fixed (time, level, service, message, then metadata sorted by key) for people reading the lines.
package struct JSONLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let levelControl: LogLevelControl

    package init(label: String, levelControl: LogLevelControl, metadataProvider: Logger.MetadataProvider?) {
        self.label = label
        self.levelControl = levelControl
        self.metadataProvider = metadataProvider
    }

    /// The shared level; setting it changes every handler of the process.
    package var logLevel: Logger.Level {
        get { levelControl.current }
        set { levelControl.current = newValue }
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var line = "{\"ts\":\"\(Self.timestamp())\",\"level\":\"\(event.level.rawValue)\",\"service\":"
        line += Self.quoted(label) + ",\"msg\":" + Self.quoted("\(event.message)")
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += "," + Self.quoted(key) + ":" + Self.quoted("\(value)")
        }
        if event.level >= .error { line += ",\"source\":" + Self.quoted("\(event.file):\(event.line)") }
        line += "}\n"
        Self.write(line)
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// UTC, milliseconds, ISO 8601.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + "\(pad(Int32(now.tv_nsec / 1_000_000), 3))Z"
    }

    /// One `write(2)` per line so that lines from concurrent tasks never interleave.
    private static func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
