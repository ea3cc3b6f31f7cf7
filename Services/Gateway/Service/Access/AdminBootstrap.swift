internal import Foundation
package import Contracts
package import Logging
package import RPCCore
package import ServiceLifecycle
#if canImport(Glibc)
internal import Glibc
#endif

/// Makes sure an admin can get in on first start: the configured admin key (`auth.bootstrap_admin_key`) is
/// stored if storage does not know it; with none configured and no admin key in storage, a new one is
/// generated and written to `auth.admin_key_file` (mode 0600) — never to the log. Retries until storage
/// answers.
package struct AdminBootstrap: Service {
    private let storage: RPCClient
    private let configured: ApiKeySecret?
    private let keyFile: String
    private let logger: Logger

    package init(storage: RPCClient, configured: ApiKeySecret?, keyFile: String, logger: Logger) {
        self.storage = storage
        self.configured = configured
        self.keyFile = keyFile
        self.logger = logger
    }

    package func run() async throws {
        // Waiting for storage must not hold up a shutdown (SIGTERM while storage is away).
        try? await cancelWhenGracefulShutdown { await bootstrap() }
        try? await gracefulShutdown()
    }

    private func bootstrap() async {
        var delay = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                try await ensureAdmin()
                break
            } catch let error as RPCError where error.code == .unavailable || error.code == .deadlineExceeded {
                logger.debug("admin key bootstrap waits for storage: \(error.message)")
            } catch {
                logger.error("admin key bootstrap failed: \(error)")
                break
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }

    func ensureAdmin() async throws {
        if let configured {
            if try await exists(configured.id) { return }
            try await store(configured, name: "bootstrap admin (auth.bootstrap_admin_key)")
            logger.notice("admin key \(configured.id) from auth.bootstrap_admin_key stored")
            return
        }
        let keys = try await storage.unary(StorageV1.Access.Method.ListApiKeys.self, .init(), timeout: .seconds(5)).message.keys
        guard !keys.contains(where: { $0.role == .admin && !$0.revoked }) else { return }
        // A key file left by an earlier start (storage since wiped) is reused so scripts keep working.
        let key = readKeyFile() ?? ApiKeySecret.generate()
        try writeKeyFile(key)
        try await store(key, name: "generated admin")
        logger.notice("no admin API key existed: generated \(key.id), secret written to \(keyFile) (readable by this user only)")
    }

    private func exists(_ id: String) async throws -> Bool {
        do {
            _ = try await storage.unary(StorageV1.Access.Method.GetApiKey.self, .with { $0.lookup = .id(id) }, timeout: .seconds(5))
            return true
        } catch let error as RPCError where error.code == .notFound {
            return false
        }
    }

    private func store(_ key: ApiKeySecret, name: String) async throws {
        _ = try await storage.unary(StorageV1.Access.Method.PutApiKey.self, .with {
            $0.key = .with {
                $0.id = key.id
                $0.name = name
                $0.role = .admin
                $0.secretHash = key.hash
            }
        }, timeout: .seconds(5))
    }

    private func readKeyFile() -> ApiKeySecret? {
        guard let data = FileManager.default.contents(atPath: keyFile) else { return nil }
        return ApiKeySecret(token: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private func writeKeyFile(_ key: ApiKeySecret) throws {
        let directory = keyFile.contains("/") ? String(keyFile[..<keyFile.lastIndex(of: "/")!]) : ""
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let descriptor = open(keyFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw BootstrapError(description: "cannot write \(keyFile): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        fchmod(descriptor, 0o600)
        let text = key.token + "\n"
        let written = text.withCString { write(descriptor, $0, strlen($0)) }
        guard written == text.utf8.count else { throw BootstrapError(description: "cannot write \(keyFile)") }
    }

    struct BootstrapError: Error, CustomStringConvertible {
        var description: String
    }
}
