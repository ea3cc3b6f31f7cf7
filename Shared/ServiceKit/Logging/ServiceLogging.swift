package import Logging

/// Makes the log handlers of a service: JSON lines or swift-log's readable console format, on standard
/// error, at a level SIGHUP can change, with the RPC's request and trace id on every line.
///
/// `main` bootstraps it once: `LoggingSystem.bootstrap(logging.makeHandler, metadataProvider: RPCLogMetadata.provider)`.
/// Tests build loggers from `makeHandler` directly and never bootstrap.
package struct ServiceLogging: Sendable {
    package let format: LogFormat
    package let levelControl: LogLevelControl

    package init(format: LogFormat, level: LogLevel) {
        self.format = format
        self.levelControl = LogLevelControl(Logger.Level(level))
    }

    package func makeHandler(label: String, metadataProvider: Logger.MetadataProvider?) -> any LogHandler {
        switch format {
        case .json:
            return JSONLogHandler(label: label, levelControl: levelControl, metadataProvider: metadataProvider)
        case .console:
            return SharedLevelHandler(
                base: StreamLogHandler.standardError(label: label, metadataProvider: metadataProvider),
                levelControl: levelControl)
        }
    }
}

/// swift-log's console handler with the process-wide level.
private struct SharedLevelHandler: LogHandler {
    var base: StreamLogHandler
    let levelControl: LogLevelControl

    var logLevel: Logger.Level {
        get { levelControl.current }
        set { levelControl.current = newValue }
    }

    var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { base.metadataProvider }
        set { base.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) { base.log(event: event) }
}
