internal import Contracts

/// The marker rules: for each code, what it looks at and what it says. Weights and severities come from the
/// `ScoringModel`; a rule here only decides whether it fires, with which evidence, and for counting rules how
/// many items it found.
enum MarkerRules {
    struct Definition: Sendable {
        var category: CommonV1.RiskCategory
        var title: String
        /// Why it matters, in Russian.
        var description: String
        /// The rule in words, for DescribeScoringModel and docs/scoring.md.
        var rule: String
        /// Numbers the model must give in `params`.
        var params: [String] = []
        /// Counting rule: contribution = per_item × count, up to the weight.
        var counts = false
        var evaluate: @Sendable (Findings, ScoringModel.Rule) -> Trigger?
    }

    /// What a fired rule found.
    struct Trigger: Sendable {
        var evidence: [CommonV1.Evidence]
        /// Items found, for counting rules.
        var count = 1
        /// A stronger severity than the configured one (e.g. many cases), when the rule escalates.
        var severity: CommonV1.Severity? = nil
    }

    static let all: [String: Definition] = {
        var rules: [String: Definition] = [:]
        for (code, definition) in registration + regulatory + legal + financial + reputation { rules[code] = definition }
        return rules
    }()

    // MARK: - Evidence helpers

    static func evidence(_ source: CommonV1.Source, _ field: String, _ value: String, url: String = "", date: String = "") -> CommonV1.Evidence {
        .with {
            $0.source = source
            $0.field = field
            $0.value = value
            $0.url = url
            $0.date = date
        }
    }

    static func evidence(_ hit: CommonV1.RegistryHit) -> CommonV1.Evidence {
        evidence(.infosphere, hit.registry, hit.title, url: hit.url, date: hit.date)
    }

    static func status(_ status: CommonV1.CompanyStatus, _ findings: Findings, date: String) -> Trigger? {
        guard let company = findings.company, company.status == status else { return nil }
        return Trigger(evidence: [evidence(.dadata, "state.status", String(status.protoName.dropFirst("COMPANY_STATUS_".count)), date: date)])
    }

    static func registry(_ kind: CommonV1.RegistryKind, _ findings: Findings) -> Trigger? {
        let hits = findings.hits(kind)
        return hits.isEmpty ? nil : Trigger(evidence: hits.map(evidence), count: hits.count)
    }

    static func roubles(_ kopecks: Int64) -> String {
        let roubles = kopecks / 100
        var digits = String(roubles), out = ""
        while digits.count > 3 {
            out = "\u{00A0}" + digits.suffix(3) + out
            digits.removeLast(3)
        }
        return digits + out + "\u{00A0}₽"
    }

    // MARK: - Registration

    static let registration: [(String, Definition)] = [
        ("registration.liquidated", Definition(
            category: .registration, title: "Компания ликвидирована", description: "Юридическое лицо прекратило деятельность; договор с ним невозможен.",
            rule: "state.status = LIQUIDATED") { findings, _ in status(.liquidated, findings, date: findings.company?.liquidationDate ?? "") }),
        ("registration.bankrupt", Definition(
            category: .registration, title: "Процедура банкротства", description: "Компания признана банкротом или в процедуре банкротства.",
            rule: "state.status = BANKRUPT") { findings, _ in status(.bankrupt, findings, date: findings.company?.actualityDate ?? "") }),
        ("registration.liquidating", Definition(
            category: .registration, title: "Компания в процессе ликвидации", description: "Принято решение о ликвидации.",
            rule: "state.status = LIQUIDATING") { findings, _ in status(.liquidating, findings, date: findings.company?.actualityDate ?? "") }),
        ("registration.reorganizing", Definition(
            category: .registration, title: "Компания в процессе реорганизации", description: "Обязательства могут перейти к правопреемнику.",
            rule: "state.status = REORGANIZING") { findings, _ in status(.reorganizing, findings, date: findings.company?.actualityDate ?? "") }),
        ("registration.recently_registered", Definition(
            category: .registration, title: "Компания зарегистрирована недавно", description: "У новой компании нет истории, по которой её можно оценить.",
            rule: "registration_date не раньше чем за params.months месяцев до анализа", params: ["months"]) { findings, rule in
                guard let date = findings.company?.registrationDate, let months = ISODate.months(from: date, to: findings.asOf),
                    months < Int(rule.param("months"))
                else { return nil }
                return Trigger(evidence: [evidence(.dadata, "state.registration_date", date, date: date)])
            }),
        ("registration.mass_address", Definition(
            category: .registration, title: "Адрес массовой регистрации", description: "По адресу зарегистрировано много компаний; признак «фирмы-однодневки».",
            rule: "address.mass_registration = true или запись реестра MASS_ADDRESS") { findings, _ in
                var found = findings.hits(.massAddress).map(evidence)
                if let address = findings.company?.address, address.massRegistration == true {
                    found.insert(evidence(.dadata, "address", address.value), at: 0)
                }
                return found.isEmpty ? nil : Trigger(evidence: found)
            }),
        ("registration.mass_director", Definition(
            category: .registration, title: "Массовый руководитель", description: "Руководитель возглавляет много компаний.",
            rule: "запись реестра MASS_DIRECTOR") { findings, _ in registry(.massDirector, findings) }),
        ("registration.unreliable_data", Definition(
            category: .registration, title: "Недостоверные сведения в ЕГРЮЛ", description: "Налоговая отметила сведения о компании как недостоверные.",
            rule: "запись реестра UNRELIABLE_DATA") { findings, _ in registry(.unreliableData, findings) }),
        ("registration.no_management", Definition(
            category: .registration, title: "В реестре не указан руководитель", description: "Неясно, кто вправе действовать от имени компании.",
            rule: "юридическое лицо без management и managers") { findings, _ in
                guard let company = findings.company, company.kind != .individual, company.head == nil || company.head?.name.isEmpty == true,
                    company.managers.isEmpty
                else { return nil }
                return Trigger(evidence: [evidence(.dadata, "management", "не указано")])
            }),
    ]

    // MARK: - Regulatory and sanctions

    static let regulatory: [(String, Definition)] = [
        ("regulatory.sanctions", Definition(
            category: .regulatory, title: "Компания в санкционных списках", description: "Сделки могут быть запрещены или заблокированы.",
            rule: "запись реестра SANCTIONS") { findings, _ in registry(.sanctions, findings) }),
        ("regulatory.disqualified_director", Definition(
            category: .regulatory, title: "Дисквалифицированный руководитель", description: "Руководитель не вправе управлять компанией.",
            rule: "managers[].disqualified = true или запись реестра DISQUALIFICATION") { findings, _ in
                let managers = (findings.company?.managers ?? []) + [findings.company?.head].compactMap { $0 }
                var found = Set(managers.filter { $0.disqualified == true }.map(\.name)).sorted().map { evidence(.dadata, "management.disqualified", $0) }
                found += findings.hits(.disqualification).map(evidence)
                return found.isEmpty ? nil : Trigger(evidence: found)
            }),
        ("regulatory.cbr_warning", Definition(
            category: .regulatory, title: "Предупреждение ЦБ РФ", description: "Банк России предупреждает о признаках нелегальной деятельности.",
            rule: "запись реестра CBR_WARNING") { findings, _ in registry(.cbrWarning, findings) }),
        ("regulatory.unfair_supplier", Definition(
            category: .regulatory, title: "В реестре недобросовестных поставщиков", description: "Компания не исполняла государственные контракты.",
            rule: "запись реестра UNFAIR_SUPPLIER") { findings, _ in registry(.unfairSupplier, findings) }),
    ]

    // MARK: - Legal

    static func recent(_ cases: [CommonV1.CourtCase], years: Double, asOf: String) -> [CommonV1.CourtCase] {
        cases.filter { item in
            guard let months = ISODate.months(from: item.date, to: asOf) else { return item.status == .active }
            return months < Int(years * 12) || item.status == .active
        }
    }

    static let legal: [(String, Definition)] = [
        ("legal.bankruptcy_case", Definition(
            category: .legal, title: "Дело о банкротстве", description: "В отношении компании идёт дело о несостоятельности.",
            rule: "дело с bankruptcy = true, роль ответчика, не завершено") { findings, _ in
                let cases = findings.courtCases.filter { $0.bankruptcy && $0.role == .defendant && $0.status != .closed && $0.status != .won }
                return cases.isEmpty ? nil : Trigger(
                    evidence: cases.map { evidence(.casebook, "case \($0.number)", $0.category.isEmpty ? "о банкротстве" : $0.category, url: $0.url, date: $0.date) },
                    count: cases.count)
            }),
        ("legal.defendant_cases", Definition(
            category: .legal, title: "Дела в роли ответчика", description: "Компания — ответчик в арбитражных делах; много дел говорит о неисполнении обязательств.",
            rule: "дела в роли ответчика (кроме дел о банкротстве) за последние params.years г. или не завершённые; per_item за дело; от params.high_count дел — высокая важность",
            params: ["years", "high_count"], counts: true) { findings, rule in
                // Bankruptcy cases are legal.bankruptcy_case's; counting them here too would score them twice.
                let cases = recent(findings.courtCases.filter { $0.role == .defendant && !$0.bankruptcy }, years: rule.param("years"), asOf: findings.asOf)
                guard !cases.isEmpty else { return nil }
                let claims = cases.compactMap(\.claimKopecks).reduce(0, +)
                return Trigger(
                    evidence: [evidence(.casebook, "cases.defendant", "\(cases.count) дел" + (claims > 0 ? ", иски на \(roubles(claims))" : ""))],
                    count: cases.count, severity: cases.count >= Int(rule.param("high_count")) ? .high : nil)
            }),
        ("legal.large_claims", Definition(
            category: .legal, title: "Крупные иски к компании", description: "Сумма незавершённых исков к компании велика.",
            rule: "сумма исков в незавершённых делах, где компания ответчик, от params.roubles ₽", params: ["roubles"]) { findings, rule in
                let cases = findings.courtCases.filter { $0.role == .defendant && $0.status == .active }
                let claims = cases.compactMap(\.claimKopecks).reduce(0, +)
                guard claims > 0, Double(claims) / 100 >= rule.param("roubles") else { return nil }
                let largest = cases.max { ($0.claimKopecks ?? 0) < ($1.claimKopecks ?? 0) }
                return Trigger(evidence: [evidence(
                    .casebook, "cases.active_claims", "\(cases.count) дел на \(roubles(claims))", url: largest?.url ?? "", date: largest?.date ?? "")])
            }),
        ("legal.lost_cases", Definition(
            category: .legal, title: "Проигранные дела", description: "Суд взыскал с компании долги.",
            rule: "дела со статусом LOST за последние params.years г.; per_item за дело", params: ["years"], counts: true) { findings, rule in
                let cases = recent(findings.courtCases.filter { $0.status == .lost }, years: rule.param("years"), asOf: findings.asOf)
                return cases.isEmpty ? nil : Trigger(evidence: [evidence(.casebook, "cases.lost", "\(cases.count) дел")], count: cases.count)
            }),
    ]

    // MARK: - Financial

    static let financial: [(String, Definition)] = [
        ("financial.tax_debt", Definition(
            category: .financial, title: "Налоговая задолженность", description: "У компании есть недоимка по налогам.",
            rule: "запись реестра TAX_DEBT или finance.debt > 0") { findings, _ in
                var found = findings.hits(.taxDebt).map(evidence)
                if let finance = findings.company?.finances.first, let debt = finance.debtKopecks, debt > 0 {
                    found.append(evidence(.dadata, "finance.debt", roubles(debt), date: "\(finance.year)"))
                }
                return found.isEmpty ? nil : Trigger(evidence: found)
            }),
        ("financial.enforcement", Definition(
            category: .financial, title: "Исполнительные производства", description: "Приставы взыскивают с компании долги.",
            rule: "записи реестра ENFORCEMENT; per_item за запись; от params.high_roubles ₽ в сумме — высокая важность",
            params: ["high_roubles"], counts: true) { findings, rule in
                let hits = findings.hits(.enforcement)
                guard !hits.isEmpty else { return nil }
                let total = hits.compactMap(\.amountKopecks).reduce(0, +)
                return Trigger(evidence: hits.map(evidence), count: hits.count, severity: Double(total) / 100 >= rule.param("high_roubles") ? .high : nil)
            }),
        ("financial.losses", Definition(
            category: .financial, title: "Расходы превышают доходы", description: "По последней отчётности компания работает в убыток.",
            rule: "finance.expense > finance.income за последний год") { findings, _ in
                guard let finance = findings.company?.finances.first, let income = finance.incomeKopecks, let expense = finance.expenseKopecks,
                    expense > income
                else { return nil }
                return Trigger(evidence: [evidence(.dadata, "finance", "доходы \(roubles(income)), расходы \(roubles(expense))", date: "\(finance.year)")])
            }),
        ("financial.penalties", Definition(
            category: .financial, title: "Налоговые штрафы", description: "Компании начислены штрафы.",
            rule: "finance.penalty > 0") { findings, _ in
                guard let finance = findings.company?.finances.first, let penalty = finance.penaltyKopecks, penalty > 0 else { return nil }
                return Trigger(evidence: [evidence(.dadata, "finance.penalty", roubles(penalty), date: "\(finance.year)")])
            }),
        ("financial.minimal_capital", Definition(
            category: .financial, title: "Минимальный уставный капитал", description: "Капитал не покрывает обязательств перед кредиторами.",
            rule: "юридическое лицо с capital ≤ params.roubles ₽", params: ["roubles"]) { findings, rule in
                guard let company = findings.company, company.kind != .individual, let capital = company.capitalKopecks,
                    Double(capital) / 100 <= rule.param("roubles")
                else { return nil }
                return Trigger(evidence: [evidence(.dadata, "capital", roubles(capital))])
            }),
    ]

    // MARK: - Reputation

    static let reputation: [(String, Definition)] = [
        ("reputation.negative_mentions", Definition(
            category: .reputation, title: "Негативные публикации", description: "В интернете есть негативные упоминания компании.",
            rule: "упоминания с тональностью NEGATIVE; per_item за упоминание; от params.high_count — высокая важность",
            params: ["high_count"], counts: true) { findings, rule in
                let negative = findings.webMentions.filter { $0.sentiment == .negative }
                guard !negative.isEmpty else { return nil }
                return Trigger(
                    evidence: negative.prefix(5).map { evidence($0.source, "публикация", $0.title, url: $0.url, date: $0.publishedDate) },
                    count: negative.count, severity: negative.count >= Int(rule.param("high_count")) ? .high : nil)
            }),
    ]
}
