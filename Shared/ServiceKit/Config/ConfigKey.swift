/// One setting a service understands: its dotted name (`rpc.port`), how its text is parsed into the
/// configuration, how the effective value is shown, and whether it may change at run time.
///
/// ```swift
/// let port = ConfigKey<ChassisSettings>.integer("rpc.port", \.rpc.port, in: 0...65_535, help: "RPC port; 0 picks a free one.")
/// ```
package struct ConfigKey<Root>: Sendable {
    /// Dotted name, as written in YAML (nested mappings), after `--set`, and (upper-cased) after `CLA_`.
    package let name: String
    package let help: String
    /// Secret values come from the setting or from a file named by `<name>_file`, and are never shown.
    package let isSecret: Bool
    /// Applied by SIGHUP; other keys need a restart.
    package let isReloadable: Bool
    private let parse: @Sendable (inout Root, String) throws(ConfigValueError) -> Void
    private let show: @Sendable (Root) -> String
    private let copy: @Sendable (inout Root, Root) -> Void

    package init<Value: Equatable & SendableMetatype>(
        _ name: String,
        _ keyPath: any WritableKeyPath<Root, Value> & Sendable,
        help: String,
        secret: Bool = false,
        reloadable: Bool = false,
        parse: @escaping @Sendable (String) throws(ConfigValueError) -> Value,
        show: @escaping @Sendable (Value) -> String
    ) {
        self.name = name
        self.help = help
        self.isSecret = secret
        self.isReloadable = reloadable
        self.parse = { (root: inout Root, text: String) throws(ConfigValueError) in root[keyPath: keyPath] = try parse(text) }
        self.show = { root in show(root[keyPath: keyPath]) }
        self.copy = { target, source in target[keyPath: keyPath] = source[keyPath: keyPath] }
    }

    private init(
        name: String, help: String, isSecret: Bool, isReloadable: Bool,
        parse: @escaping @Sendable (inout Root, String) throws(ConfigValueError) -> Void,
        show: @escaping @Sendable (Root) -> String,
        copy: @escaping @Sendable (inout Root, Root) -> Void
    ) {
        self.name = name
        self.help = help
        self.isSecret = isSecret
        self.isReloadable = isReloadable
        self.parse = parse
        self.show = show
        self.copy = copy
    }

    /// The environment variable that sets this key: `CLA_` and the name upper-cased, dots as underscores.
    package var environmentName: String {
        "CLA_" + name.uppercased().replacingDots()
    }

    /// Parses `text` into `root`; the error says what was expected.
    package func apply(_ text: String, to root: inout Root) throws(ConfigValueError) {
        try parse(&root, text)
    }

    /// The effective value as text; secrets show only whether they are set.
    package func display(_ root: Root) -> String {
        let text = show(root)
        guard isSecret else { return text }
        return text.isEmpty ? "(not set)" : "(set)"
    }

    /// Whether `a` and `b` differ in this key (compares the real value, secrets included).
    package func differs(_ a: Root, _ b: Root) -> Bool { show(a) != show(b) }

    /// Copies this key's value from `source` into `target`.
    package func copyValue(into target: inout Root, from source: Root) { copy(&target, source) }

    /// The same key on a configuration that holds `Root` at `path`.
    package func lifted<Outer>(_ path: any WritableKeyPath<Outer, Root> & Sendable) -> ConfigKey<Outer> {
        let (parse, show, copy) = (self.parse, self.show, self.copy)
        return ConfigKey<Outer>(
            name: name, help: help, isSecret: isSecret, isReloadable: isReloadable,
            parse: { (outer: inout Outer, text: String) throws(ConfigValueError) in try parse(&outer[keyPath: path], text) },
            show: { outer in show(outer[keyPath: path]) },
            copy: { target, source in copy(&target[keyPath: path], source[keyPath: path]) }
        )
    }
}

/// Why a value was rejected, e.g. "expected an integer from 0 to 65535, got \"http\"".
package struct ConfigValueError: Error, Sendable {
    package var message: String
    package init(_ message: String) { self.message = message }
}

extension String {
    fileprivate func replacingDots() -> String {
        String(map { $0 == "." ? "_" : $0 })
    }
}
