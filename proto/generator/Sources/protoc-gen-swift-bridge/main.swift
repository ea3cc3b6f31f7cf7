// protoc-gen-swift-bridge: emits Swift value types for the project's .proto files whose encoding and decoding
// go through protobuf-c (see proto/generate.sh).
BridgeGenerator().main(nil)
