import RPCCore
import Testing

@Suite("Metadata")
struct MetadataTests {
    @Test("keys are case-insensitive and values keep their order")
    func ordering() {
        var metadata: Metadata = ["X-Request-Id": "a"]
        metadata.add("x-request-id", "b")
        metadata.add("other", "c")
        #expect(metadata.string("x-request-id") == "a")
        #expect(metadata.values("X-REQUEST-ID") == [.string("a"), .string("b")])
        metadata.replace("x-request-id", "z")
        #expect(metadata.values("x-request-id") == [.string("z")])
        metadata.remove("other")
        #expect(metadata.count == 1)
    }

    @Test("binary values go out as unpadded base64")
    func binaryOut() {
        var metadata = Metadata()
        metadata.add("x-grpc-test-echo-trailing-bin", binary: [0xAB, 0xAB, 0xAB])
        metadata.add("trace-bin", binary: [0x01])
        let fields = metadata.headerFields
        #expect(fields.map(\.name) == ["x-grpc-test-echo-trailing-bin", "trace-bin"])
        #expect(fields.map(\.value) == ["q6ur", "AQ"])
    }

    @Test("binary values come in padded or not, several per field")
    func binaryIn() throws {
        let metadata = try Metadata(headerFields: [
            (name: "a-bin", value: "AQ=="), (name: "b-bin", value: "AQ"), (name: "c-bin", value: "AQ, AgM="),
            (name: "plain", value: "AQ"),
        ])
        #expect(metadata.first("a-bin") == .binary([1]))
        #expect(metadata.first("b-bin") == .binary([1]))
        #expect(metadata.values("c-bin") == [.binary([1]), .binary([2, 3])])
        #expect(metadata.first("plain") == .string("AQ"))
    }

    @Test("a -bin value that is not base64 is refused")
    func badBase64() {
        #expect(throws: Metadata.WireError.self) { try Metadata(headerFields: [(name: "x-bin", value: "a!b")]) }
        #expect(throws: Metadata.WireError.self) { try Metadata(headerFields: [(name: "x-bin", value: "A")]) }
    }

    @Test("valid keys and values", arguments: [
        ("x-request-id", true), ("traceparent", true), ("a.b_c-9", true), ("", false), ("grpc-status", false),
        ("X-Upper", false), ("sp ace", false), (":path", false),
    ])
    func keys(key: String, valid: Bool) {
        #expect(Metadata.isValidKey(key) == valid)
    }

    @Test("string values are printable ASCII")
    func values() {
        #expect(Metadata.isValidStringValue("abc 123 ~"))
        #expect(!Metadata.isValidStringValue("tab\there"))
        #expect(!Metadata.isValidStringValue("кириллица"))
    }
}
