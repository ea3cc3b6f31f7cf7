import Contracts
import Gateway
import ProtoJSON
import Testing

@Suite struct MCPSchemaTests {
    private let schema = try! JSONValue.parse(Array("""
        {"type": "object", "additionalProperties": false, "required": ["inn"], "properties": {
          "inn": {"type": "string", "pattern": "^([0-9]{10}|[0-9]{12})$"},
          "sources": {"type": "array", "maxItems": 2, "items": {"type": "string", "enum": ["dadata", "tavily"]}},
          "page_size": {"type": "integer", "minimum": 1, "maximum": 200},
          "wait": {"type": "boolean"}}}
        """.utf8))

    @Test(arguments: [
        (#"{"inn": "7705123452"}"#, nil),
        (#"{"inn": "7705123452", "sources": ["tavily"], "page_size": 200, "wait": false}"#, nil),
        (#"{}"#, "argument inn: required"),
        (#"{"inn": 7705123452}"#, "argument inn: expected a string"),
        (#"{"inn": "77051234"}"#, #"argument inn: "77051234" does not match ^([0-9]{10}|[0-9]{12})$"#),
        (#"{"inn": "7705123452", "sources": ["spark"]}"#, #"argument sources[0]: "spark" is not one of dadata, tavily"#),
        (#"{"inn": "7705123452", "sources": ["dadata", "tavily", "dadata"]}"#, "argument sources: at most 2 items"),
        (#"{"inn": "7705123452", "page_size": 0}"#, "argument page_size: at least 1"),
        (#"{"inn": "7705123452", "page_size": 1.5}"#, "argument page_size: expected an integer"),
        (#"{"inn": "7705123452", "wait": "no"}"#, "argument wait: expected true or false"),
        (#"[]"#, "the arguments: expected an object"),
    ] as [(String, String?)])
    func argumentsAreCheckedNamingTheArgumentAndRule(_ arguments: String, _ problem: String?) throws {
        let value = try JSONValue.parse(Array(arguments.utf8))
        #expect(MCPSchemas.check(value, against: schema) == problem)
    }

    @Test func anUnknownArgumentIsNamedWithTheKnownOnes() throws {
        let value = try JSONValue.parse(Array(#"{"inn": "7705123452", "colour": 1}"#.utf8))
        let problem = try #require(MCPSchemas.check(value, against: schema))
        #expect(problem.hasPrefix("argument colour: unknown; the arguments are "))
        #expect(Set(problem.split(separator: " ", maxSplits: 6).last!.split(separator: ",").map { $0.filter { $0 != " " } })
                == ["inn", "sources", "page_size", "wait"])
    }

    @Test func anOutputSchemaIsSelfContained() throws {
        let report = SchemaRegistry.shared.schema(for: GatewayV1.GetReportResponse.self)
        let output = MCPSchemas.output([report])
        #expect(output["type"] == .string("object"))
        #expect(output["properties"]?["report"]?["$ref"] == .string("#/$defs/clientanalyze.common.v1.Report"))
        #expect(output["$defs"]?["clientanalyze.common.v1.RiskAssessment"] != nil)
        #expect(!output.text.contains("#/components/"))
    }
}
