/// Why a configuration was refused. Its description is the one line an operator sees before the process
/// exits, naming the key and where the bad value came from (file and line, variable, or flag).
package struct ConfigError: Error, Sendable, CustomStringConvertible {
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String { case unknownKey, invalidValue, unreadableFile, invalidFile }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A key (or `CLA_` variable) that no setting has: usually a typo.
        package static let unknownKey = Code(.unknownKey)
        /// A value of the wrong type or out of range.
        package static let invalidValue = Code(.invalidValue)
        /// The config file or a secret file cannot be read.
        package static let unreadableFile = Code(.unreadableFile)
        /// The config file is not YAML, or not a mapping of settings.
        package static let invalidFile = Code(.invalidFile)

        package var description: String { value.rawValue }
    }

    package var code: Code
    package var message: String
    /// The key concerned, if any.
    package var key: String?
    package var origin: ConfigOrigin?

    package init(_ code: Code, _ message: String, key: String? = nil, origin: ConfigOrigin? = nil) {
        self.code = code
        self.message = message
        self.key = key
        self.origin = origin
    }

    package var description: String {
        var text = "config error"
        if let origin { text += " in \(origin)" }
        if let key { text += ": \(key)" }
        return text + ": " + message
    }
}

/// Where a setting's text came from.
package enum ConfigOrigin: Sendable, Hashable, CustomStringConvertible {
    case file(path: String, line: Int)
    case environment(String)
    case flag(String)

    package var description: String {
        switch self {
        case .file(let path, let line): "\(path) line \(line)"
        case .environment(let name): "environment variable \(name)"
        case .flag(let flag): "flag \(flag)"
        }
    }
}
