#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import Yams

/// A setting as text, before it is parsed: from the YAML file, an environment variable or a flag.
package struct RawSetting: Sendable, Hashable {
    package var key: String
    package var value: String
    package var origin: ConfigOrigin

    package init(key: String, value: String, origin: ConfigOrigin) {
        self.key = key
        self.value = value
        self.origin = origin
    }
}

/// Builds a configuration from its layers — defaults, then the YAML file, then `CLA_` environment
/// variables, then flags — and refuses unknown keys, wrong types and out-of-range values with an error that
/// names the key and where it came from.
///
/// ```swift
/// let loader = ConfigLoader(defaults: defaults, keys: keys, file: "storage.yaml",
///                           environment: ProcessInfo.processInfo.environment, flags: [])
/// let configuration = try loader.load()
/// ```
package struct ConfigLoader<Root: Sendable>: Sendable {
    package var defaults: Root
    package var keys: [ConfigKey<Root>]
    /// The YAML file, if any.
    package var file: String?
    package var environment: [String: String]
    package var flags: [RawSetting]

    /// The variable naming the config file when `--config` is not given.
    package static var fileVariable: String { "CLA_CONFIG" }

    package init(
        defaults: Root, keys: [ConfigKey<Root>], file: String?, environment: [String: String], flags: [RawSetting]
    ) {
        self.defaults = defaults
        self.keys = keys
        self.file = file ?? environment[Self.fileVariable]
        self.environment = environment
        self.flags = flags
    }

    /// Reads every layer (the file again on each call, which is how SIGHUP reloads) and applies it.
    package func load() throws(ConfigError) -> Root {
        var settings: [RawSetting] = []
        if let file { settings += try Self.read(file: file) }
        settings += try environmentSettings()
        settings += flags
        var root = defaults
        for setting in settings { try apply(setting, to: &root) }
        return root
    }

    private func apply(_ setting: RawSetting, to root: inout Root) throws(ConfigError) {
        var value = setting.value
        var key = keys.first { $0.name == setting.key }
        if key == nil, setting.key.hasSuffix("_file"),
            let secret = keys.first(where: { $0.isSecret && $0.name + "_file" == setting.key })
        {
            key = secret
            value = try Self.readSecret(path: setting.value.trimmed, key: setting.key, origin: setting.origin)
        }
        guard let key else {
            var message = "unknown key"
            if let near = nearestKey(to: setting.key) { message += " (did you mean \(near.quoted)?)" }
            throw ConfigError(.unknownKey, message, key: setting.key, origin: setting.origin)
        }
        do {
            try key.apply(value, to: &root)
        } catch {
            throw ConfigError(.invalidValue, key.isSecret ? "invalid secret" : error.message, key: key.name, origin: setting.origin)
        }
    }

    /// `CLA_*` variables, in name order so that the result does not depend on the environment's order.
    private func environmentSettings() throws(ConfigError) -> [RawSetting] {
        var byName: [String: String] = [:]
        for key in keys {
            byName[key.environmentName] = key.name
            if key.isSecret { byName[key.environmentName + "_FILE"] = key.name + "_file" }
        }
        var settings: [RawSetting] = []
        for (name, value) in environment.sorted(by: { $0.key < $1.key })
        where name.hasPrefix("CLA_") && name != Self.fileVariable {
            guard let key = byName[name] else {
                throw ConfigError(.unknownKey, "no setting is named like it", origin: .environment(name))
            }
            settings.append(RawSetting(key: key, value: value, origin: .environment(name)))
        }
        return settings
    }

    private func nearestKey(to name: String) -> String? {
        let candidates = keys.map(\.name) + keys.filter(\.isSecret).map { $0.name + "_file" }
        let scored = candidates.map { ($0, editDistance($0, name)) }.min { $0.1 < $1.1 }
        guard let (best, distance) = scored, distance <= max(2, name.count / 4) else { return nil }
        return best
    }
}

extension ConfigLoader {
    /// The settings of a YAML file: nested mappings become dotted keys, scalars their text, sequences of
    /// scalars a comma-separated list.
    package static func read(file path: String) throws(ConfigError) -> [RawSetting] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(.unreadableFile, "cannot read the config file \(path.quoted): \(Self.reason(error))")
        }
        return try parse(yaml: text, path: path)
    }

    package static func parse(yaml text: String, path: String) throws(ConfigError) -> [RawSetting] {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            let detail = String(describing: error).split(separator: "\n").first.map(String.init) ?? "invalid YAML"
            throw ConfigError(.invalidFile, "not valid YAML: \(detail)", origin: .file(path: path, line: Self.line(of: error)))
        }
        guard let node else { return [] }
        guard case .mapping = node else {
            throw ConfigError(.invalidFile, "expected a mapping of settings at the top", origin: .file(path: path, line: 1))
        }
        var settings: [RawSetting] = []
        try flatten(node, prefix: "", path: path, into: &settings)
        return settings
    }

    private static func flatten(_ node: Node, prefix: String, path: String, into settings: inout [RawSetting]) throws(ConfigError) {
        let origin = ConfigOrigin.file(path: path, line: node.mark?.line ?? 0)
        switch node {
        case .mapping(let mapping):
            for (keyNode, valueNode) in mapping {
                guard let key = keyNode.scalar?.string, !key.isEmpty else {
                    throw ConfigError(.invalidFile, "expected a plain key", origin: .file(path: path, line: keyNode.mark?.line ?? 0))
                }
                try flatten(valueNode, prefix: prefix.isEmpty ? key : prefix + "." + key, path: path, into: &settings)
            }
        case .scalar(let scalar):
            settings.append(RawSetting(key: prefix, value: scalar.string, origin: origin))
        case .sequence(let sequence):
            var items: [String] = []
            for item in sequence {
                guard let text = item.scalar?.string else {
                    throw ConfigError(.invalidValue, "expected a list of plain values", key: prefix, origin: origin)
                }
                items.append(text)
            }
            settings.append(RawSetting(key: prefix, value: items.joined(separator: ","), origin: origin))
        default:
            throw ConfigError(.invalidFile, "aliases are not supported", key: prefix, origin: origin)
        }
    }

    static func readSecret(path: String, key: String, origin: ConfigOrigin) throws(ConfigError) -> String {
        do {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            return text.trimmed
        } catch {
            throw ConfigError(.unreadableFile, "cannot read the secret file \(path.quoted): \(Self.reason(error))", key: key, origin: origin)
        }
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? CocoaError {
            switch error.code {
            case .fileReadNoSuchFile: return "no such file"
            case .fileReadNoPermission: return "permission denied"
            case .fileReadInapplicableStringEncoding: return "not UTF-8 text"
            default: return "error \(error.code.rawValue)"
            }
        }
        return "\(error)"
    }

    private static func line(of error: any Error) -> Int {
        if let error = error as? YamlError {
            switch error {
            case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
                return mark.line
            default: return 0
            }
        }
        return 0
    }
}

/// Levenshtein distance, for "did you mean" hints on unknown keys.
private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.utf8), b = Array(b.utf8)
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...max(b.count, 1) where !b.isEmpty {
            current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return a.isEmpty ? b.count : previous[b.count]
}
