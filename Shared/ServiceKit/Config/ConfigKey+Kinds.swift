/// The value kinds settings use. Each parser accepts the text form of YAML scalars, environment variables
/// and `--set` alike, and says exactly what it expected when the text does not fit.
extension ConfigKey {
    package static func integer(
        _ name: String, _ keyPath: any WritableKeyPath<Root, Int> & Sendable, in range: ClosedRange<Int>,
        help: String, reloadable: Bool = false
    ) -> Self {
        Self(name, keyPath, help: help, reloadable: reloadable, parse: { (text: String) throws(ConfigValueError) -> Int in
            guard let value = Int(text.trimmed), range.contains(value) else {
                throw ConfigValueError("expected an integer from \(range.lowerBound) to \(range.upperBound), got \(text.quoted)")
            }
            return value
        }, show: { String($0) })
    }

    package static func bool(
        _ name: String, _ keyPath: any WritableKeyPath<Root, Bool> & Sendable, help: String, reloadable: Bool = false
    ) -> Self {
        Self(name, keyPath, help: help, reloadable: reloadable, parse: { (text: String) throws(ConfigValueError) -> Bool in
            switch text.trimmed.lowercased() {
            case "true", "yes", "on", "1": return true
            case "false", "no", "off", "0": return false
            default: throw ConfigValueError("expected true or false, got \(text.quoted)")
            }
        }, show: { String($0) })
    }

    package static func string(
        _ name: String, _ keyPath: any WritableKeyPath<Root, String> & Sendable, help: String, reloadable: Bool = false,
        validate: @escaping @Sendable (String) -> String? = { _ in nil }
    ) -> Self {
        Self(name, keyPath, help: help, reloadable: reloadable, parse: { (text: String) throws(ConfigValueError) -> String in
            if let problem = validate(text) { throw ConfigValueError(problem) }
            return text
        }, show: { $0 })
    }

    /// A secret: the value itself, or (through `<name>_file` / `CLA_…_FILE`) the contents of a file.
    package static func secret(
        _ name: String, _ keyPath: any WritableKeyPath<Root, Secret> & Sendable, help: String, reloadable: Bool = true
    ) -> Self {
        Self(name, keyPath, help: help, secret: true, reloadable: reloadable,
             parse: { (text: String) throws(ConfigValueError) -> Secret in Secret(text.trimmed) },
             show: { $0.value })
    }

    /// One of a fixed set of words, e.g. `log.format: json`.
    package static func choice<Value: RawRepresentable & CaseIterable & Equatable & Sendable>(
        _ name: String, _ keyPath: any WritableKeyPath<Root, Value> & Sendable, help: String, reloadable: Bool = false
    ) -> Self where Value.RawValue == String {
        Self(name, keyPath, help: help, reloadable: reloadable, parse: { (text: String) throws(ConfigValueError) -> Value in
            guard let value = Value(rawValue: text.trimmed.lowercased()) else {
                let allowed = Value.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigValueError("expected one of \(allowed), got \(text.quoted)")
            }
            return value
        }, show: { $0.rawValue })
    }

    /// A duration written with a unit: `250ms`, `30s`, `5m`, `1h`.
    package static func duration(
        _ name: String, _ keyPath: any WritableKeyPath<Root, Duration> & Sendable, in range: ClosedRange<Duration>,
        help: String, reloadable: Bool = false
    ) -> Self {
        Self(name, keyPath, help: help, reloadable: reloadable, parse: { (text: String) throws(ConfigValueError) -> Duration in
            guard let value = Duration(configText: text.trimmed), range.contains(value) else {
                throw ConfigValueError(
                    "expected a duration from \(range.lowerBound.configText) to \(range.upperBound.configText) "
                        + "with a unit (ms, s, m, h), got \(text.quoted)")
            }
            return value
        }, show: { $0.configText })
    }

    /// One `host:port` address.
    package static func address(
        _ name: String, _ keyPath: any WritableKeyPath<Root, ServiceAddress> & Sendable, help: String
    ) -> Self {
        Self(name, keyPath, help: help, parse: { (text: String) throws(ConfigValueError) -> ServiceAddress in
            guard let address = ServiceAddress(text.trimmed) else {
                throw ConfigValueError("expected host:port with a port from 1 to 65535, got \(text.quoted)")
            }
            return address
        }, show: { $0.description })
    }

    /// A dependency's `host:port` addresses, comma-separated (or a YAML sequence), or `dns:///name:port`.
    package static func dependencyTarget(
        _ name: String, _ keyPath: any WritableKeyPath<Root, DependencyTarget> & Sendable, help: String
    ) -> Self {
        Self(name, keyPath, help: help, parse: { (text: String) throws(ConfigValueError) -> DependencyTarget in
            try DependencyTarget(parsing: text.trimmed)
        }, show: { $0.description })
    }
}

/// A `host:port` of another service.
package struct ServiceAddress: Sendable, Hashable, CustomStringConvertible {
    package var host: String
    package var port: Int

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`; IPv6 hosts are written in brackets, `[::1]:50051`.
    package init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65_535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains(where: \.isWhitespace) else { return nil }
        self.init(host: host, port: port)
    }

    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

extension Duration {
    /// Parses `250ms`, `30s`, `5m`, `1h` (a whole number and a unit).
    init?(configText text: String) {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let amount = Int64(digits) else { return nil }
        switch text.dropFirst(digits.count) {
        case "ms": self = .milliseconds(amount)
        case "s": self = .seconds(amount)
        case "m": self = .seconds(amount * 60)
        case "h": self = .seconds(amount * 3600)
        default: return nil
        }
    }

    /// The shortest exact form: `1500ms`, `30s`, `5m`.
    var configText: String {
        if milliseconds % 3_600_000 == 0, milliseconds > 0 { return "\(milliseconds / 3_600_000)h" }
        if milliseconds % 60_000 == 0, milliseconds > 0 { return "\(milliseconds / 60_000)m" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        return "\(milliseconds)ms"
    }
}

extension String {
    var trimmed: String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }

    var quoted: String { "\"\(self)\"" }
}
