internal import Contracts
internal import ProtoJSON

/// `/web/labels.json`: the Russian name of every value of the API's enums, by table and `.proto` name
/// (`{"level": {"RISK_LEVEL_HIGH": "Высокий риск", …}, …}`), from `RussianLabels`, which the rendered
/// reports use too; so a page says exactly what the PDF says.
enum WebLabels {
    private static let text: String = {
        var tables: [(String, JSONValue)] = [
            table("level", RussianLabels.level), table("category", RussianLabels.category),
            table("severity", RussianLabels.severity), table("priority", RussianLabels.priority),
            table("source", RussianLabels.source), table("sourceSubject", RussianLabels.sourceSubject),
            table("state", RussianLabels.state), table("status", RussianLabels.status), table("kind", RussianLabels.kind),
            table("role", RussianLabels.role), table("caseStatus", RussianLabels.caseStatus),
            table("registry", RussianLabels.registry), table("sentiment", RussianLabels.sentiment),
            table("intent", RussianLabels.intent), table("rating", RussianLabels.rating), table("change", RussianLabels.change),
            table("stage", RussianLabels.stage), table("jobState", RussianLabels.jobState), table("author", RussianLabels.author),
        ]
        // API keys' roles, as the gateway's access policy names them (`viewer`) and as the API spells them.
        let roles: [(StorageV1.Role, String)] = [(.viewer, "просмотр"), (.analyst, "аналитик"), (.admin, "администратор")]
        tables.append(("keyRole", .object(roles.flatMap { role, name in
            [(AccessPolicy.name(role), JSONValue.string(name)), (role.protoName, .string(name))]
        })))
        return JSONValue.object(tables).text
    }()

    /// As an answer, with its ETag.
    static let asset = WebAssetStore.Asset(contentType: "application/json", text: text)

    private static func table<Value: ProtoEnum>(_ name: String, _ label: (Value) -> String) -> (String, JSONValue) {
        (name, .object(Value.knownCases.filter { $0.protoNumber != 0 }.map { ($0.protoName, .string(label($0))) }))
    }
}
