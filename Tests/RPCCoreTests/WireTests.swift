import RPCCore
import Testing

@Suite("grpc-timeout")
struct GRPCTimeoutTests {
    @Test("parses every unit", arguments: [
        ("1H", Duration.seconds(3600)), ("2M", .seconds(120)), ("3S", .seconds(3)), ("250m", .milliseconds(250)),
        ("7u", .microseconds(7)), ("99999999n", .nanoseconds(99_999_999)), ("0m", .zero),
    ])
    func parse(header: String, expected: Duration) {
        #expect(GRPCTimeout(header: header)?.duration == expected)
    }

    @Test("refuses malformed values", arguments: ["", "m", "1", "123456789S", "1x", "-1S", "1.5S", " 1S"])
    func malformed(header: String) {
        #expect(GRPCTimeout(header: header) == nil)
    }

    @Test("formats in the finest unit that fits eight digits, never shorter than asked")
    func format() {
        #expect(GRPCTimeout(.milliseconds(250)).headerValue == "250000u")
        #expect(GRPCTimeout(.nanoseconds(1)).headerValue == "1n")
        #expect(GRPCTimeout(.seconds(30)).headerValue == "30000000u")
        #expect(GRPCTimeout(.seconds(3600 * 24)).headerValue == "86400000m")
        #expect(GRPCTimeout(.seconds(-5)).headerValue == "0n")
        for seconds in [0.001, 1, 59.5, 1e5, 1e9] {
            let duration = Duration.seconds(seconds)
            let roundTrip = GRPCTimeout(header: GRPCTimeout(duration).headerValue)!.duration
            #expect(roundTrip >= duration)
            #expect(GRPCTimeout(duration).headerValue.count <= 9)
        }
    }
}

@Suite("grpc-message")
struct StatusMessageTests {
    @Test("the interop special message survives encode and decode")
    func special() {
        let message = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n"
        let encoded = StatusMessage.encode(message)
        #expect(encoded.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E })
        #expect(encoded.hasPrefix("%09%0Atest with whitespace%0D%0A"))
        #expect(StatusMessage.decode(encoded) == message)
    }

    @Test("percent itself is encoded; malformed escapes decode as text")
    func percent() {
        #expect(StatusMessage.encode("100%") == "100%25")
        #expect(StatusMessage.decode("100%25") == "100%")
        #expect(StatusMessage.decode("50%zz") == "50%zz")
        #expect(StatusMessage.decode("end%4") == "end%4")
        #expect(StatusMessage.decode("%FF") == "\u{FFFD}")
    }
}
