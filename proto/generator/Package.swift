// swift-tools-version: 6.1
import PackageDescription

// The Swift bridge generator: a protoc plugin that emits Swift value types whose encode/decode go through
// the protobuf-c code that protoc-c generates. It lives in its own package so that the main build never
// depends on swift-protobuf; only `make generate` builds it.
let package = Package(
    name: "BridgeGenerator",
    products: [
        .executable(name: "protoc-gen-swift-bridge", targets: ["protoc-gen-swift-bridge"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0")
    ],
    targets: [
        .executableTarget(
            name: "protoc-gen-swift-bridge",
            dependencies: [.product(name: "SwiftProtobufPluginLibrary", package: "swift-protobuf")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    ]
)
