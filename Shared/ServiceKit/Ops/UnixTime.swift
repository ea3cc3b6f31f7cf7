#if canImport(Glibc)
internal import Glibc
#endif
#if canImport(SwiftOverlayShims)
// timespec/timeval fields come from here under MemberImportVisibility (release builds insist).
internal import SwiftOverlayShims
#endif

/// Wall-clock time, for the timestamps services report (`started_at_ms`, `collected_at_ms`).
package enum UnixTime {
    package static var nowMilliseconds: Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
