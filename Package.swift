// swift-tools-version: 6.1
import PackageDescription

// Client Analyze: four services (gateway, analyzer, report-renderer, storage) talking gRPC over HTTP/2 on
// libnghttp2, with messages encoded by libprotobuf-c. Shared/ holds the libraries every service builds on
// (contracts, RPC runtime, chassis), Services/ the four services, Tests/ the tests, tools and benchmarks; see
// README.md. Only the executables are products.

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// The HTTP/2 connection code runs confined to its event loop, and its state lives in classes whose every
// property access Swift checks for overlapping access at run time: a twentieth of the CPU of a unary call.
// Debug builds (every test) keep the checks; release builds drop them.
let connectionSwiftSettings = swiftSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

// The package dependencies' products, each named once.
enum Product {
    static let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
    static let asyncHTTPClient: Target.Dependency = .product(name: "AsyncHTTPClient", package: "async-http-client")
    static let coreMetrics: Target.Dependency = .product(name: "CoreMetrics", package: "swift-metrics")
    static let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
    static let extrasBase64: Target.Dependency = .product(name: "ExtrasBase64", package: "swift-extras-base64")
    static let grdb: Target.Dependency = .product(name: "GRDB", package: "GRDB.swift")
    static let httpTypes: Target.Dependency = .product(name: "HTTPTypes", package: "swift-http-types")
    static let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird")
    static let hummingbirdCore: Target.Dependency = .product(name: "HummingbirdCore", package: "hummingbird")
    static let hummingbirdTesting: Target.Dependency = .product(name: "HummingbirdTesting", package: "hummingbird")
    static let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
    static let mcp: Target.Dependency = .product(name: "MCP", package: "swift-sdk")
    static let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")
    static let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
    static let nioHTTP1: Target.Dependency = .product(name: "NIOHTTP1", package: "swift-nio")
    static let nioHTTPTypes: Target.Dependency = .product(name: "NIOHTTPTypes", package: "swift-nio-extras")
    static let nioPosix: Target.Dependency = .product(name: "NIOPosix", package: "swift-nio")
    static let nioSSL: Target.Dependency = .product(name: "NIOSSL", package: "swift-nio-ssl")
    static let nioTLS: Target.Dependency = .product(name: "NIOTLS", package: "swift-nio")
    static let prometheus: Target.Dependency = .product(name: "Prometheus", package: "swift-prometheus")
    static let serviceLifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
    static let unixSignals: Target.Dependency = .product(name: "UnixSignals", package: "swift-service-lifecycle")
    static let yams: Target.Dependency = .product(name: "Yams", package: "Yams")
}

/// A service: its library under Services/<folder>/Service (everything its tests reach) on the chassis and the
/// contracts, and its executable under Services/<folder>/Main, which only parses the command line and starts it.
func service(_ library: String, executable: String, folder: String, dependencies: [Target.Dependency]) -> [Target] {
    [
        .target(
            name: library, dependencies: ["ServiceKit", "Contracts", "RPCCore", Product.logging] + dependencies,
            path: "Services/\(folder)/Service", swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: executable, dependencies: [.byName(name: library), "ServiceMain", Product.argumentParser],
            path: "Services/\(folder)/Main", swiftSettings: swiftSettings
        ),
    ]
}

let package = Package(
    name: "ClientAnalyze",
    products: [],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-extras/swift-extras-base64.git", from: "1.2.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", exact: "0.12.1"),
    ],
    targets: [
        // MARK: System libraries (Debian packages; `make deps` installs them)
        .systemLibrary(
            name: "CProtobufC",
            path: "Shared/CProtobufC",
            pkgConfig: "libprotobuf-c",
            providers: [.apt(["libprotobuf-c-dev"])]
        ),
        .systemLibrary(
            name: "CNGHTTP2",
            path: "Shared/CNGHTTP2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        // mimalloc as the process allocator of everything that links RPCHTTP2 (see Shared/RPCHTTP2/Allocator.swift).
        .systemLibrary(name: "CMimalloc", path: "Shared/CMimalloc", providers: [.apt(["libmimalloc-dev"])]),
        .systemLibrary(name: "CRabbitMQ", path: "Shared/CRabbitMQ", pkgConfig: "librabbitmq", providers: [.apt(["librabbitmq-dev"])]),
        .target(name: "RabbitMQ", dependencies: ["CRabbitMQ"], path: "Shared/RabbitMQ", swiftSettings: swiftSettings),
        .systemLibrary(name: "CMsgPuck", path: "Shared/CMsgPuck", providers: [.apt(["libmsgpuck-dev"])]),
        .target(
            name: "Tarantool",
            dependencies: [
                "CMsgPuck",
                Product.nioCore,
                Product.nioPosix,
                Product.crypto,
                Product.logging,
            ],
            path: "Shared/Tarantool",
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CPangoCairo",
            path: "Shared/CPangoCairo",
            pkgConfig: "pangocairo",
            providers: [.apt(["libpango1.0-dev", "libcairo2-dev"])]
        ),

        // MARK: Contracts
        // protoc-c output for every .proto file, generated by `make generate`.
        .target(
            name: "ContractsC",
            dependencies: ["CProtobufC"],
            path: "Shared/ContractsC",
            cSettings: [.unsafeFlags(["-w"])]
        ),
        // Swift value types over ContractsC, generated, plus the few hand-written unsafe helpers in Runtime/.
        .target(
            name: "Contracts",
            dependencies: ["ContractsC", "CProtobufC", "RPCCore"],
            path: "Shared/Contracts",
            swiftSettings: swiftSettings
        ),

        // The proto3 JSON mapping of the contracts, for the gateway's REST API and the CLI's --json.
        .target(
            name: "ProtoJSON",
            dependencies: ["Contracts", "CProtobufC"],
            path: "Shared/ProtoJSON",
            swiftSettings: swiftSettings
        ),

        // MARK: RPC runtime
        .target(
            name: "RPCCore",
            dependencies: [Product.extrasBase64],
            path: "Shared/RPCCore",
            swiftSettings: swiftSettings
        ),

        .target(
            name: "RPCHTTP2",
            dependencies: [
                "RPCCore", "CNGHTTP2", "CMimalloc",
                Product.nioCore,
                Product.nioPosix,
            ],
            path: "Shared/RPCHTTP2",
            swiftSettings: connectionSwiftSettings
        ),
        .target(
            name: "RPCInProcess",
            dependencies: ["RPCCore"],
            path: "Shared/RPCInProcess",
            swiftSettings: swiftSettings
        ),

        // Domain rules shared by the gateway and the analyzer: INN and OGRN checks.
        .target(name: "Domain", path: "Shared/Domain", swiftSettings: swiftSettings),
        // What changed between two reports: the diff and the change events (storage compares, the analyzer diffs re-runs).
        .target(name: "ReportChanges", dependencies: ["Contracts"], path: "Shared/ReportChanges", swiftSettings: swiftSettings),

        // MARK: Service chassis
        // What every executable shares: configuration, logging and metrics, admin HTTP, health, reflection,
        // ops, lifecycle. Transport-agnostic, so tests run it over the in-process transport.
        .target(name: "CBuildInfo", path: "Shared/CBuildInfo"),
        .target(
            name: "ServiceKit",
            dependencies: [
                "Contracts", "RPCCore", "CBuildInfo",
                Product.logging,
                Product.metrics,
                Product.coreMetrics,
                Product.prometheus,
                Product.serviceLifecycle,
                Product.hummingbird,
                Product.nioCore,
                Product.yams,
            ],
            path: "Shared/ServiceKit",
            swiftSettings: swiftSettings
        ),
        // TLS from the files `tls.*` and `dependencies.tls.*` name, re-read on SIGHUP: for the RPC transports
        // (through ServiceMain) and the gateway's REST port.
        .target(
            name: "ServiceTLS",
            dependencies: [
                "ServiceKit", "RPCHTTP2",
                Product.nioCore,
                Product.nioSSL,
                Product.nioTLS,
                Product.hummingbirdCore,
                Product.logging,
                Product.metrics,
            ],
            path: "Shared/ServiceTLS",
            swiftSettings: swiftSettings
        ),
        // The `main` of every executable: flags, config, bootstrap, HTTP/2 transports, the service group.
        .target(
            name: "ServiceMain",
            dependencies: [
                "ServiceKit", "ServiceTLS", "RPCCore", "RPCHTTP2",
                Product.argumentParser,
                Product.nioCore,
                Product.logging,
                Product.metrics,
                Product.prometheus,
                Product.serviceLifecycle,
                Product.unixSignals,
            ],
            path: "Shared/ServiceMain",
            swiftSettings: swiftSettings
        ),

    ]
        // MARK: Services
        + service("Gateway", executable: "gateway", folder: "Gateway", dependencies: [
            "ServiceTLS", "Domain", "ProtoJSON", Product.hummingbird, Product.hummingbirdCore, Product.crypto,
            Product.nioCore, Product.nioHTTPTypes, Product.serviceLifecycle, Product.mcp,
        ])
        + [
            .executableTarget(
                name: "cla",
                dependencies: [
                    "Contracts", "RPCCore", "RPCHTTP2", "ProtoJSON", "ServiceKit", "ServiceTLS",
                    Product.nioSSL, Product.argumentParser, Product.asyncHTTPClient, Product.nioHTTP1,
                ],
                path: "Services/Gateway/CLI",
                swiftSettings: swiftSettings
            ),
        ]
        + service("Analyzer", executable: "analyzer", folder: "Analyzer", dependencies: [
            "Domain", "RabbitMQ", "ReportChanges", Product.yams, Product.asyncHTTPClient, Product.nioCore, Product.nioHTTP1,
            Product.prometheus, Product.serviceLifecycle,
        ])
        + service("ReportRenderer", executable: "report-renderer", folder: "ReportRenderer", dependencies: [
            "CPangoCairo", Product.nioPosix, Product.metrics,
        ])
        + service("Storage", executable: "storage", folder: "Storage", dependencies: [
            "Tarantool", "RabbitMQ", "ReportChanges", Product.grdb, Product.crypto, Product.prometheus, Product.serviceLifecycle,
        ])
        + [
        // MARK: Tests, test tools and benchmarks
        .target(
            name: "ContractsTestSupport",
            dependencies: ["Contracts"],
            path: "Tests/ContractsTestSupport",
            swiftSettings: swiftSettings
        ),
        // Real backend servers for the tests (a RabbitMQ broker), shared by every suite of the test process.
        .target(name: "BackendTestSupport", dependencies: ["RabbitMQ"], path: "Tests/BackendTestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "ProtoJSONTests", dependencies: ["ProtoJSON", "Contracts", "ContractsTestSupport"], path: "Tests/ProtoJSONTests",
            swiftSettings: swiftSettings),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "Storage", "Analyzer", "ReportRenderer", "ProviderSandbox", "ServiceKit", "Contracts", "ProtoJSON",
                "RPCCore", "RPCInProcess", "BackendTestSupport", "RabbitMQ",
                Product.hummingbird,
                Product.hummingbirdTesting,
                Product.logging,
                Product.serviceLifecycle,
            ],
            path: "Tests/GatewayTests",
            swiftSettings: swiftSettings),
        .testTarget(name: "DomainTests", dependencies: ["Domain"], path: "Tests/DomainTests", swiftSettings: swiftSettings),
        .testTarget(
            name: "RPCCoreTests",
            dependencies: ["RPCCore", "RPCInProcess", "Contracts"],
            path: "Tests/RPCCoreTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RPCHTTP2Tests",
            dependencies: ["RPCHTTP2", "RPCCore", "Contracts", "InteropTestService", "CMimalloc", Product.nioCore],
            path: "Tests/RPCHTTP2Tests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ServiceKitTests",
            dependencies: [
                "ServiceKit", "Contracts", "RPCCore", "RPCInProcess",
                Product.logging,
                Product.prometheus,
            ],
            path: "Tests/ServiceKitTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AnalyzerTests",
            dependencies: [
                "Analyzer", "Contracts", "ProviderSandbox",
                Product.hummingbird,
                Product.logging,
                Product.asyncHTTPClient,
            ],
            path: "Tests/AnalyzerTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReportRendererTests",
            dependencies: [
                "ReportRenderer", "ReportFixtures", "Contracts", "RPCCore",
                Product.prometheus,
            ],
            path: "Tests/ReportRendererTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: [
                "Storage", "ReportChanges", "Tarantool", "RabbitMQ", "BackendTestSupport", "Contracts", "RPCCore", "RPCInProcess",
                Product.grdb,
                Product.crypto,
                Product.logging,
                Product.prometheus,
            ],
            path: "Tests/StorageTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ContractsTests",
            dependencies: ["Contracts", "ContractsTestSupport", "RPCCore"],
            path: "Tests/ContractsTests",
            exclude: ["Corpus"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "contracts-tool",
            dependencies: [
                "Contracts", "ContractsTestSupport",
                Product.argumentParser,
            ],
            path: "Tests/Tools/ContractsTool",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "InteropTestService",
            dependencies: ["Contracts", "RPCCore"],
            path: "Tests/InteropTestService",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "interop-server",
            dependencies: [
                "Contracts", "RPCCore", "RPCHTTP2", "InteropTestService",
                Product.argumentParser,
            ],
            path: "Tests/Tools/InteropServer",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "interop-client",
            dependencies: [
                "Contracts", "RPCCore", "RPCHTTP2",
                Product.argumentParser,
            ],
            path: "Tests/Tools/InteropClient",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "chassis-test-server",
            dependencies: [
                "InteropTestService", "RPCCore", "ServiceKit", "ServiceMain",
                Product.argumentParser,
            ],
            path: "Tests/Tools/ChassisTestServer",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReportFixtures",
            dependencies: ["Contracts"],
            path: "Tests/ReportFixtures",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "render-fixtures",
            dependencies: [
                "ReportFixtures", "ReportRenderer", "Contracts", "ServiceKit",
                Product.argumentParser,
            ],
            path: "Tests/Tools/RenderFixtures",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ProviderSandbox",
            dependencies: [
                "Domain",
                Product.hummingbird,
                Product.httpTypes,
                Product.logging,
                Product.nioCore,
            ],
            path: "Tests/ProviderSandbox/Library",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "provider-sandbox",
            dependencies: [
                "ProviderSandbox",
                Product.argumentParser,
                Product.hummingbird,
                Product.logging,
            ],
            path: "Tests/ProviderSandbox/Main",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "analyzer-bench",
            dependencies: [
                "Analyzer", "ProviderSandbox", "Contracts",
                Product.argumentParser,
                Product.hummingbird,
                Product.logging,
            ],
            path: "Tests/Benchmarks/AnalyzerBench",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "renderer-bench",
            dependencies: [
                "ReportFixtures", "ReportRenderer", "Contracts",
                Product.argumentParser,
            ],
            path: "Tests/Benchmarks/RendererBench",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "storage-bench",
            dependencies: [
                "Contracts", "RPCCore", "RPCHTTP2", "Storage", "RabbitMQ",
                Product.grdb,
                Product.argumentParser,
            ],
            path: "Tests/Benchmarks/StorageBench",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CMallocCounter",
            path: "Tests/Benchmarks/CMallocCounter"
        ),
        .executableTarget(
            name: "contracts-bench",
            dependencies: ["Contracts", "ContractsTestSupport", "CMallocCounter"],
            path: "Tests/Benchmarks/ContractsBench",
            swiftSettings: swiftSettings,
            linkerSettings: [.linkedLibrary("m")]
        ),
    ]
)
