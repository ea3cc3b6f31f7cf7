internal import MCP

/// Prompts that steer an agent through the tools, and the server's instructions.
enum MCPPrompts {
    static let instructions = """
        Client Analyze checks Russian counterparties by INN. Start with get_latest_report (cheap) and run \
        analyze_company only when there is no recent report or the user asks for a fresh one. A report's sources \
        list says which providers answered: a source that is partial, timed out, failed or whose circuit is open \
        did not check its part, so never present that part as clean, and "insufficient_data" means the company \
        could not be assessed, not that it is safe. Quote markers with their evidence. The provider specs are \
        resources (clientanalyze://providers/{name}/spec); the scoring model is clientanalyze://scoring-model.
        """

    static let all: [Prompt] = [
        Prompt(
            name: "due_diligence", title: "Проверка контрагента / Due diligence",
            description: "Check a company by INN and write a due-diligence note: risk, evidence, gaps in the data, a recommendation.",
            arguments: [
                .init(name: "inn", title: "ИНН", description: "The company's INN (10 or 12 digits).", required: true),
                .init(name: "focus", title: "Фокус", description: "What matters most, e.g. \"суды\", \"санкции\", \"налоги\".", required: false),
            ]),
        Prompt(
            name: "explain_changes", title: "Что изменилось / Explain changes",
            description: "Explain what changed between the versions of a company's thread and whether the risk moved.",
            arguments: [
                .init(name: "thread", title: "Тред", description: "A thread id, or the company's INN.", required: true),
            ]),
    ]

    static func get(_ name: String, arguments: [String: String]) throws -> GetPrompt.Result {
        switch name {
        case "due_diligence":
            guard let inn = arguments["inn"], !inn.isEmpty else { throw MCPError.invalidParams("argument inn: required") }
            let focus = arguments["focus"].map { $0.isEmpty ? "" : " Особое внимание: \($0)." } ?? ""
            return .init(description: "Due diligence of \(inn)", messages: [
                .user(.text(text: """
                    Проверь контрагента с ИНН \(inn).\(focus)
                    1. Вызови get_latest_report с inn=\(inn). Если отчёта нет или он старше 30 дней, вызови analyze_company.
                    2. По отчёту напиши заключение на русском: уровень риска, балл и достоверность; каждый существенный \
                    маркер с его доказательствами и ссылками; суды, где компания ответчик, с суммами; статус в реестрах.
                    3. Отдельным разделом перечисли источники, которые не ответили или ответили частично (состояние \
                    и причина): то, что они должны были проверить, не проверено — не называй это отсутствием рисков.
                    4. Если уровень insufficient_data, скажи, что компанию не удалось идентифицировать, и предложи \
                    проверить ИНН и запросить документы.
                    5. Закончи рекомендацией: работать на обычных условиях, с осторожностью (предоплата, гарантии) или отказаться.
                    """)),
            ])
        case "explain_changes":
            guard let thread = arguments["thread"], !thread.isEmpty else { throw MCPError.invalidParams("argument thread: required") }
            let key = thread.allSatisfy(\.isNumber) ? "inn=\(thread)" : "id=\(thread)"
            return .init(description: "Changes in thread \(thread)", messages: [
                .user(.text(text: """
                    Объясни, что изменилось в истории проверок компании (get_thread с \(key)).
                    1. Возьми две последние версии и вызови compare_reports с их report_ids (старшая первой).
                    2. Опиши изменение балла и уровня, появившиеся и исчезнувшие маркеры с доказательствами, \
                    изменения в источниках (какой источник в одной из версий не ответил — сравнение в этой части неполно).
                    3. Если к версии был отзыв (feedback), скажи, что он просил и учтён ли он.
                    4. Закончи выводом: риск вырос, снизился или не изменился, и почему.
                    """)),
            ])
        default:
            throw MCPError.invalidParams("Unknown prompt: \(name); prompts/list names them")
        }
    }
}
