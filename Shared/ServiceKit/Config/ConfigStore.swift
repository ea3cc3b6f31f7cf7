internal import Synchronization

/// The live configuration of a running service. SIGHUP calls `reload()`, which reads the layers again and
/// takes the keys that may change at run time; the others keep their value until a restart.
package final class ConfigStore<Root: Sendable>: Sendable {
    private let loader: ConfigLoader<Root>
    private let state: Mutex<Root>

    /// What a reload did, for the log.
    package struct ReloadResult: Sendable, Equatable {
        /// Keys whose value changed, with old and new text (secrets only as "(set)"/"(not set)"/"changed").
        package var applied: [Change] = []
        /// Keys that changed in the sources but need a restart; their old value stays.
        package var needRestart: [String] = []
    }

    package struct Change: Sendable, Equatable, CustomStringConvertible {
        package var key: String
        package var old: String
        package var new: String
        package var description: String { "\(key): \(old) → \(new)" }
    }

    /// Loads the configuration once; the error is the one line to print before exiting.
    package init(loader: ConfigLoader<Root>) throws(ConfigError) {
        self.loader = loader
        self.state = Mutex(try loader.load())
    }

    package var current: Root { state.withLock { $0 } }

    package var keys: [ConfigKey<Root>] { loader.keys }

    /// Re-reads the sources. A bad file changes nothing and throws, so a typo cannot take a running
    /// service down.
    package func reload() throws(ConfigError) -> ReloadResult {
        let fresh = try loader.load()
        return state.withLock { current in
            var result = ReloadResult()
            var next = current
            for key in loader.keys where key.differs(current, fresh) {
                guard key.isReloadable else {
                    result.needRestart.append(key.name)
                    continue
                }
                key.copyValue(into: &next, from: fresh)
                let (old, new) = (key.display(current), key.display(next))
                result.applied.append(Change(key: key.name, old: old, new: key.isSecret && old == new ? "(changed)" : new))
            }
            current = next
            return result
        }
    }
}
