internal import Synchronization

/// What a SIGHUP re-reads besides the configuration: files whose paths the configuration names (TLS
/// certificates) may have changed while the paths did not. Each hook runs after every reload attempt that
/// read a valid configuration, and must keep what it had when the files turn out bad.
package final class ReloadHooks: Sendable {
    private let hooks = Mutex<[@Sendable () -> Void]>([])

    package init() {}

    package func add(_ hook: @escaping @Sendable () -> Void) {
        hooks.withLock { $0.append(hook) }
    }

    func run() {
        for hook in hooks.withLock({ $0 }) { hook() }
    }
}
