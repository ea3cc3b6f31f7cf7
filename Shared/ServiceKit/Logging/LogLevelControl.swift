package import Logging
internal import Synchronization

/// The log level of a running process, shared by every logger `ServiceLogging` makes, so that SIGHUP can
/// change it without restarting.
package final class LogLevelControl: Sendable {
    private let level: Mutex<Logger.Level>

    package init(_ level: Logger.Level) { self.level = Mutex(level) }

    package var current: Logger.Level {
        get { level.withLock { $0 } }
        set { level.withLock { $0 = newValue } }
    }
}

extension Logger.Level {
    package init(_ level: LogLevel) {
        switch level {
        case .trace: self = .trace
        case .debug: self = .debug
        case .info: self = .info
        case .notice: self = .notice
        case .warning: self = .warning
        case .error: self = .error
        case .critical: self = .critical
        }
    }
}
