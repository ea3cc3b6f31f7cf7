import Foundation
import ServiceKit
import Testing

/// The layering of configuration (defaults < file < environment < flags) and every kind of refusal.
@Suite("Configuration loading")
struct ConfigLoaderTests {
    typealias Root = ServiceConfiguration<TestSettings>

    struct TestSettings: ServiceSettings {
        var apiKey = Secret()
        static let defaults = TestSettings()
        static let keys: [ConfigKey<TestSettings>] = [.secret("providers.test.api_key", \.apiKey, help: "A key.")]
    }

    static let dependencies = [Dependency("storage", defaultAddress: ServiceAddress(host: "127.0.0.1", port: 50054), required: true)]
    static let defaults: Root = {
        var chassis = ChassisSettings(rpcPort: 50054, adminPort: 9094)
        chassis.dependencies["storage"] = .addresses([ServiceAddress(host: "127.0.0.1", port: 50054)])
        return Root(chassis: chassis)
    }()

    static func loader(yaml: String? = nil, environment: [String: String] = [:], flags: [RawSetting] = []) throws -> ConfigLoader<Root> {
        var file: String?
        if let yaml {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("cla-\(UUID().uuidString).yaml").path
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            file = path
        }
        return ConfigLoader(defaults: defaults, keys: Root.keys(dependencies: dependencies), file: file, environment: environment, flags: flags)
    }

    static func flag(_ key: String, _ value: String) -> RawSetting { RawSetting(key: key, value: value, origin: .flag("--set")) }

    static func error(_ body: () throws -> Root) -> ConfigError? {
        do {
            _ = try body()
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            return nil
        }
    }

    @Test("defaults < file < environment < flags, per key")
    func precedence() throws {
        let yaml = """
            rpc:
              port: 1001
              host: 0.0.0.0
            admin:
              port: 2001
            log:
              level: debug
            features:
              web_search: false
            """
        let environment = ["CLA_ADMIN_PORT": "2002", "CLA_LOG_LEVEL": "warning", "PATH": "/usr/bin"]
        let configuration = try Self.loader(yaml: yaml, environment: environment, flags: [Self.flag("log.level", "error")]).load()
        #expect(configuration.chassis.rpc.port == 1001)  // file over default
        #expect(configuration.chassis.rpc.host == "0.0.0.0")
        #expect(configuration.chassis.admin.port == 2002)  // environment over file
        #expect(configuration.chassis.log.level == .error)  // flag over environment and file
        #expect(configuration.chassis.features.webSearch == false)
        #expect(configuration.chassis.features.pageScraping == false)  // untouched default
        #expect(configuration.chassis.drainTimeout == .seconds(30))
    }

    @Test("CLA_CONFIG names the file when --config is absent")
    func fileFromEnvironment() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cla-\(UUID().uuidString).yaml").path
        try "rpc:\n  port: 4242\n".write(toFile: path, atomically: true, encoding: .utf8)
        let loader = ConfigLoader(defaults: Self.defaults, keys: Root.keys(dependencies: Self.dependencies), file: nil, environment: ["CLA_CONFIG": path], flags: [])
        #expect(try loader.load().chassis.rpc.port == 4242)
    }

    @Test("values of every kind parse: durations, lists, choices, booleans")
    func kinds() throws {
        let yaml = """
            shutdown:
              drain_timeout: 1500ms
            dependencies:
              storage:
                address: [10.0.0.1:50054, "[::1]:50055"]
            log:
              format: json
            features:
              queue_backend: rabbitmq
              page_scraping: yes
            """
        let configuration = try Self.loader(yaml: yaml).load()
        #expect(configuration.chassis.drainTimeout == .milliseconds(1500))
        #expect(configuration.chassis.dependencies["storage"] == .addresses([ServiceAddress(host: "10.0.0.1", port: 50054), ServiceAddress(host: "::1", port: 50055)]))
        #expect(configuration.chassis.log.format == .json)
        #expect(configuration.chassis.features.queueBackend == .rabbitmq)
        #expect(configuration.chassis.features.pageScraping)
    }

    @Test("an unknown key in the file is refused with its line and a suggestion")
    func unknownKeyInFile() throws {
        let error = Self.error { try Self.loader(yaml: "rpc:\n  prot: 1\n").load() }
        let refused = try #require(error)
        #expect(refused.code == .unknownKey)
        #expect(refused.key == "rpc.prot")
        guard case .file(_, let line)? = refused.origin else { Issue.record("origin \(String(describing: refused.origin))"); return }
        #expect(line == 2)
        #expect(refused.description.contains("did you mean \"rpc.port\""))
    }

    @Test("an unknown CLA_ variable is refused by name; other variables are ignored")
    func unknownVariable() throws {
        let refused = try #require(Self.error { try Self.loader(environment: ["CLA_RPC_PROT": "1", "HOME": "/root"]).load() })
        #expect(refused.code == .unknownKey)
        #expect(refused.origin == .environment("CLA_RPC_PROT"))
    }

    @Test("an unknown flag key is refused")
    func unknownFlag() throws {
        let refused = try #require(Self.error { try Self.loader(flags: [Self.flag("features.web_serch", "true")]).load() })
        #expect(refused.code == .unknownKey)
        #expect(refused.description.contains("features.web_search"))
    }

    @Test(
        "wrong types and out-of-range values name the key and what was expected",
        arguments: [
            ("rpc.port", "http", "expected an integer from 0 to 65535"),
            ("rpc.port", "70000", "expected an integer from 0 to 65535"),
            ("features.web_search", "maybe", "expected true or false"),
            ("log.level", "loud", "expected one of trace, debug"),
            ("shutdown.drain_timeout", "30", "with a unit"),
            ("shutdown.drain_timeout", "2h", "from 0s to 10m"),
            ("dependencies.storage.address", "storage", "expected host:port"),
            ("rpc.max_message_bytes", "10", "from 1024"),
        ])
    func invalidValues(key: String, value: String, expected: String) throws {
        let refused = try #require(Self.error { try Self.loader(yaml: "\(key): \"\(value)\"\n").load() })
        #expect(refused.code == .invalidValue)
        #expect(refused.key == key)
        #expect(refused.description.contains(expected))
        #expect(refused.description.contains(".yaml line 1"))
    }

    @Test("a missing file, invalid YAML and a non-mapping are refused")
    func badFiles() throws {
        let missing = ConfigLoader(defaults: Self.defaults, keys: Root.keys(dependencies: Self.dependencies), file: "/nonexistent/cla.yaml", environment: [:], flags: [])
        let noFile = try #require(Self.error { try missing.load() })
        #expect(noFile.code == .unreadableFile)
        #expect(noFile.description.contains("/nonexistent/cla.yaml"))

        let broken = try #require(Self.error { try Self.loader(yaml: "rpc: [1\n").load() })
        #expect(broken.code == .invalidFile)
        let list = try #require(Self.error { try Self.loader(yaml: "- a\n- b\n").load() })
        #expect(list.code == .invalidFile)
    }

    @Test("secrets come from the value or a *_FILE, and never appear in errors or displays")
    func secrets() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cla-secret-\(UUID().uuidString)").path
        try "s3cr3t-from-file\n".write(toFile: path, atomically: true, encoding: .utf8)
        let fromFile = try Self.loader(environment: ["CLA_PROVIDERS_TEST_API_KEY_FILE": path]).load()
        #expect(fromFile.service.apiKey.value == "s3cr3t-from-file")
        #expect("\(fromFile.service.apiKey)" == "(secret)")
        let key = try #require(Root.keys(dependencies: []).first { $0.name == "providers.test.api_key" })
        #expect(key.display(fromFile) == "(set)")
        #expect(key.display(Self.defaults) == "(not set)")

        let direct = try Self.loader(yaml: "providers:\n  test:\n    api_key: in-yaml\n").load()
        #expect(direct.service.apiKey.value == "in-yaml")

        let unreadable = try #require(Self.error { try Self.loader(yaml: "providers:\n  test:\n    api_key_file: /nonexistent/key\n").load() })
        #expect(unreadable.code == .unreadableFile)
        #expect(unreadable.description.contains("/nonexistent/key"))
    }

    @Test("reload applies reloadable keys, keeps the others, and survives a broken file")
    func reload() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cla-\(UUID().uuidString).yaml").path
        try "log:\n  level: info\nrpc:\n  port: 1000\n".write(toFile: path, atomically: true, encoding: .utf8)
        let store = try ConfigStore(loader: ConfigLoader(
            defaults: Self.defaults, keys: Root.keys(dependencies: Self.dependencies), file: path, environment: [:], flags: []))

        try "log:\n  level: debug\nrpc:\n  port: 2000\nfeatures:\n  web_search: false\nproviders:\n  test:\n    api_key: new\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let result = try store.reload()
        #expect(result.applied.map(\.key).sorted() == ["features.web_search", "log.level", "providers.test.api_key"])
        #expect(result.applied.contains { $0.key == "providers.test.api_key" && $0.new == "(set)" && !$0.description.contains("new") })
        #expect(result.needRestart == ["rpc.port"])
        #expect(store.current.chassis.log.level == .debug)
        #expect(store.current.chassis.rpc.port == 1000)
        #expect(store.current.service.apiKey.value == "new")

        try "log: [broken\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try store.reload() }
        #expect(store.current.chassis.log.level == .debug)
    }
}
