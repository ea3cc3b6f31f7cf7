/// Russian names for the contract's enums, as a reader of a report sees them: one set for the PDF, HTML,
/// Markdown and CSV, and the web app (which gets them from the gateway as `/web/labels.json`).
package enum RussianLabels {
    package static let noData = "нет данных"

    package static func status(_ status: CommonV1.CompanyStatus) -> String {
        switch status {
        case .active: "Действующая"
        case .liquidating: "В процессе ликвидации"
        case .liquidated: "Ликвидирована"
        case .bankrupt: "Банкротство"
        case .reorganizing: "В процессе реорганизации"
        default: noData
        }
    }

    package static func kind(_ kind: CommonV1.SubjectKind) -> String {
        switch kind {
        case .legal: "Юридическое лицо"
        case .individual: "Индивидуальный предприниматель"
        default: noData
        }
    }

    package static func level(_ level: CommonV1.RiskLevel) -> String {
        switch level {
        case .low: "Низкий риск"
        case .medium: "Средний риск"
        case .high: "Высокий риск"
        case .critical: "Критический риск"
        case .insufficientData: "Недостаточно данных"
        default: "Уровень не определён"
        }
    }

    package static func category(_ category: CommonV1.RiskCategory) -> String {
        switch category {
        case .legal: "Судебные"
        case .financial: "Финансовые"
        case .reputation: "Репутационные"
        case .regulatory: "Регуляторные и санкции"
        case .registration: "Регистрационные"
        default: "Прочие"
        }
    }

    package static func severity(_ severity: CommonV1.Severity) -> String {
        switch severity {
        case .info: "Информация"
        case .low: "Низкая"
        case .medium: "Средняя"
        case .high: "Высокая"
        case .critical: "Критическая"
        default: "—"
        }
    }

    /// How urgent a recommendation is.
    package static func priority(_ severity: CommonV1.Severity) -> String {
        switch severity {
        case .critical: "Обязательно"
        case .high: "Важно"
        case .medium: "Рекомендуется"
        case .low: "На заметку"
        default: ""
        }
    }

    package static func source(_ source: CommonV1.Source) -> String {
        switch source {
        case .dadata: "DaData"
        case .casebook: "Casebook"
        case .infosphere: "InfoSphere"
        case .tavily: "Tavily"
        case .perplexity: "Perplexity"
        case .llm: "LLM"
        default: "Источник не указан"
        }
    }

    /// What a source's data is about, for "нет данных" reasons and the source table.
    package static func sourceSubject(_ source: CommonV1.Source) -> String {
        switch source {
        case .dadata: "ЕГРЮЛ/ЕГРИП"
        case .casebook: "арбитражные дела"
        case .infosphere: "государственные реестры"
        case .tavily: "веб-поиск"
        case .perplexity: "веб-поиск с ответом"
        case .llm: "текст заключения"
        default: ""
        }
    }

    package static func state(_ state: CommonV1.SourceStatus.State) -> String {
        switch state {
        case .ok: "Получено"
        case .cached: "Из кэша"
        case .notConfigured: "Не настроен"
        case .error: "Ошибка"
        case .timeout: "Нет ответа (таймаут)"
        case .circuitOpen: "Провайдер недоступен"
        case .partial: "Частично"
        case .disabled: "Отключён"
        case .notFound: "Нет сведений о компании"
        default: "Не опрашивался"
        }
    }

    package static func role(_ role: CommonV1.CaseRole) -> String {
        switch role {
        case .plaintiff: "Истец"
        case .defendant: "Ответчик"
        case .thirdParty: "Третье лицо"
        case .other: "Иная роль"
        default: "—"
        }
    }

    package static func caseStatus(_ status: CommonV1.CaseStatus) -> String {
        switch status {
        case .active: "Рассматривается"
        case .closed: "Завершено"
        case .won: "Выиграно"
        case .lost: "Проиграно"
        case .settled: "Мировое соглашение"
        default: "—"
        }
    }

    package static func registry(_ kind: CommonV1.RegistryKind) -> String {
        switch kind {
        case .taxDebt: "Налоговая задолженность (ФНС)"
        case .enforcement: "Исполнительные производства (ФССП)"
        case .bankruptcy: "Банкротство (ЕФРСБ)"
        case .sanctions: "Санкционные списки"
        case .disqualification: "Дисквалифицированные лица"
        case .massAddress: "Адрес массовой регистрации"
        case .massDirector: "Массовый руководитель"
        case .unreliableData: "Недостоверные сведения"
        case .cbrWarning: "Предупреждения ЦБ РФ"
        case .unfairSupplier: "Недобросовестные поставщики (РНП)"
        default: "Прочие реестры"
        }
    }

    package static func sentiment(_ sentiment: CommonV1.Sentiment) -> String {
        switch sentiment {
        case .positive: "Позитивная"
        case .neutral: "Нейтральная"
        case .negative: "Негативная"
        default: "—"
        }
    }

    package static func intent(_ intent: CommonV1.SearchIntent) -> String {
        switch intent {
        case .legal: "правовые"
        case .court: "суды"
        case .finance: "финансы"
        case .news: "новости"
        case .reputation: "репутация"
        case .affiliates: "аффилированность"
        case .sanctions: "санкции"
        case .custom: "по запросу"
        default: "—"
        }
    }

    package static func rating(_ rating: CommonV1.FeedbackRating) -> String {
        switch rating {
        case .accurate: "Точный"
        case .partiallyAccurate: "Частично точный"
        case .inaccurate: "Неточный"
        default: "Без оценки"
        }
    }

    /// A category by its short name, as diffs key them ("legal"); unknown names are shown as given.
    package static func category(named name: String) -> String {
        let categories: [String: CommonV1.RiskCategory] = [
            "legal": .legal, "financial": .financial, "reputation": .reputation, "regulatory": .regulatory, "registration": .registration,
        ]
        return categories[name.lowercased()].map(category) ?? name
    }

    /// A feedback focus area ("court", "sanctions", …) in Russian; unknown ones are shown as given.
    package static func focusArea(_ area: String) -> String {
        let names = [
            "legal": "правовые вопросы", "court": "судебные дела", "finance": "финансы", "news": "новости",
            "reputation": "репутация", "affiliates": "аффилированные лица", "sanctions": "санкции", "registration": "регистрационные данные",
        ]
        return names[area.lowercased()] ?? area
    }

    /// A feedback issue tag ("outdated", "missing_cases", …) in Russian; unknown ones are shown as given.
    package static func issueTag(_ tag: String) -> String {
        let names = [
            "outdated": "устаревшие данные", "missing_cases": "не хватает судебных дел", "wrong_company": "данные другой компании",
            "wrong_score": "неверная оценка", "missing_sanctions": "не учтены санкции", "missing_news": "не хватает публикаций",
        ]
        return names[tag.lowercased()] ?? tag
    }

    package static func founderKind(_ kind: CommonV1.Founder.Kind) -> String {
        switch kind {
        case .person: "физ. лицо"
        case .legal: "юр. лицо"
        default: ""
        }
    }

    package static func change(_ kind: CommonV1.MarkerChange.Kind) -> String {
        switch kind {
        case .added: "Добавлен"
        case .removed: "Снят"
        case .changed: "Изменён"
        default: "—"
        }
    }

    package static func stage(_ stage: CommonV1.Stage) -> String {
        switch stage {
        case .queued: "В очереди"
        case .started: "Начат"
        case .registries: "Реестры и суды"
        case .webSearch: "Поиск в интернете"
        case .scoring: "Оценка риска"
        case .narrative: "Заключение"
        case .rendering: "Документ PDF"
        case .storing: "Сохранение"
        case .completed: "Готово"
        case .failed: "Ошибка"
        case .cancelled: "Отменён"
        case .retrying: "Повтор после сбоя"
        default: "—"
        }
    }

    package static func jobState(_ state: CommonV1.JobState) -> String {
        switch state {
        case .scheduled: "Запланирован"
        case .queued: "В очереди"
        case .running: "Выполняется"
        case .retryWait: "Ожидает повтора"
        case .succeeded: "Готов"
        case .failed: "Ошибка"
        case .cancelled: "Отменён"
        case .dead: "В очереди ошибок"
        default: "—"
        }
    }

    package static func author(_ author: CommonV1.Narrative.Author) -> String {
        switch author {
        case .llm: "языковая модель"
        case .template: "шаблон"
        default: "—"
        }
    }
}
