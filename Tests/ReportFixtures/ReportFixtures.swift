package import Contracts

/// Reports the way the analyzer produces them, for the renderer's tests and benchmarks: a clean company, a
/// liquidated one, a bankrupt one with many lawsuits, one with partial data, a re-run with a parent, and a stress
/// case (500 court cases, 1 000 mentions, very long names). Everything is fixed, so renders are reproducible.
package enum ReportFixtures {
    package static let all: [(name: String, report: CommonV1.Report)] = [
        ("clean", clean), ("liquidated", liquidated), ("bankrupt", bankrupt), ("partial", partial), ("rerun", rerun),
        ("stress", stress),
    ]

    /// 2026-11-20 09:30 UTC.
    static let createdAt: Int64 = 1_795_167_000_000

    // MARK: - Clean: an active company with a few harmless findings

    package static var clean: CommonV1.Report {
        var report = base(id: "r-clean-1", inn: "7705123452", version: 1)
        report.company = card(
            inn: "7705123452", ogrn: "1027700123450", kpp: "770501001", short: "ООО \"СЕВЕРНЫЙ ВЕТЕР\"",
            full: "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ \"СЕВЕРНЫЙ ВЕТЕР\"", status: .active, registered: "2009-04-14",
            address: "115035, г. Москва, ул. Садовническая, д. 20, стр. 1, помещ. 3", head: "Орлова Марина Сергеевна")
        report.company?.finances = [.with {
            $0.year = 2025
            $0.taxSystem = "ОСН"
            $0.incomeKopecks = 48_215_300_000
            $0.expenseKopecks = 45_102_000_000
            $0.debtKopecks = 0
        }]
        report.courtCases = [
            courtCase("А40-118342/2025", date: "2025-06-11", role: .plaintiff, claim: 184_500_000, status: .won,
                      category: "о взыскании задолженности по договору поставки", counterparty: "ООО \"ТЕХСНАБ\""),
            courtCase("А40-20231/2024", date: "2024-02-02", role: .defendant, claim: 31_250_000, status: .settled,
                      category: "о неисполнении обязательств по договору подряда", counterparty: "АО \"МОССТРОЙПРОЕКТ\""),
        ]
        report.webMentions = [
            mention(.tavily, .news, "«Северный ветер» открыл второй склад в Подмосковье", sentiment: .positive,
                    url: "https://www.rbc.ru/business/2025/09/12/severny-veter", date: "2025-09-12"),
            mention(.perplexity, .reputation, "Отзывы сотрудников о компании «Северный ветер»", sentiment: .neutral,
                    url: "https://dreamjob.ru/employers/severny-veter", date: "2025-03-01"),
        ]
        report.sources = allSources(cases: 2, hits: 0, mentions: 2)
        report.risk = .with {
            $0.score = 12.4
            $0.level = .low
            $0.confidence = 0.94
            $0.sourceCoverage = 1
            $0.modelVersion = "2026.11.1"
            $0.categories = categories(legal: 18, financial: 6, reputation: 5, regulatory: 0, registration: 4)
            $0.markers = [
                marker("legal.defendant_cases", .legal, .low, "Есть дела в роли ответчика", 8,
                       evidence: [evidence(.casebook, "case А40-20231/2024", "1 дело, 312 500 ₽", date: "2024-02-02")]),
                marker("registration.head_changed_recently", .registration, .info, "Руководитель сменился менее года назад", 2,
                       evidence: [evidence(.dadata, "management.start_date", "2025-12-01", date: "2025-12-01")]),
            ]
        }
        report.narrative = .with {
            $0.author = .template
            $0.summary = "ООО «Северный ветер» действует с 2009 года, руководитель — Орлова М. С. Признаков ликвидации, "
                + "банкротства, санкций и дисквалификации не найдено [1]. В 2025 году компания выиграла спор о поставке "
                + "на 1,8 млн ₽ и урегулировала одно дело в роли ответчика мировым соглашением [2].\nОбщий уровень риска низкий."
            $0.recommendations = [
                .with { $0.text = "Стандартная проверка: можно заключать договор на обычных условиях."; $0.priority = .low },
            ]
            $0.citations = [
                .with { $0.number = 1; $0.title = "Выписка ЕГРЮЛ"; $0.url = "https://egrul.nalog.ru/"; $0.source = .dadata },
                .with { $0.number = 2; $0.title = "Карточка дела А40-118342/2025"; $0.url = "https://kad.arbitr.ru/Card/118342"; $0.source = .casebook },
            ]
        }
        return report
    }

    // MARK: - Liquidated

    package static var liquidated: CommonV1.Report {
        var report = base(id: "r-liquidated-1", inn: "7816345676", version: 1)
        report.company = card(
            inn: "7816345676", ogrn: "1157847123455", kpp: "781601001", short: "ООО \"БАЛТИЙСКАЯ ЛОГИСТИКА\"",
            full: "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ \"БАЛТИЙСКАЯ ЛОГИСТИКА\"", status: .liquidated, registered: "2015-03-02",
            address: "192019, г. Санкт-Петербург, наб. Обводного канала, д. 14, лит. А", head: "Смирнов Павел Андреевич")
        report.company?.liquidationDate = "2024-08-30"
        report.registryHits = [
            .with {
                $0.kind = .unreliableData
                $0.registry = "egrul_unreliable"
                $0.title = "Сведения об адресе недостоверны (запись ГРН 2237800123456)"
                $0.date = "2023-11-15"
            },
        ]
        report.sources = allSources(cases: 0, hits: 1, mentions: 0)
        report.risk = .with {
            $0.score = 71
            $0.level = .critical
            $0.unflooredLevel = .high
            $0.confidence = 0.9
            $0.sourceCoverage = 1
            $0.modelVersion = "2026.11.1"
            $0.categories = categories(legal: 0, financial: 20, reputation: 0, regulatory: 10, registration: 100)
            $0.markers = [
                marker("registration.liquidated", .registration, .critical, "Компания ликвидирована", 60,
                       evidence: [evidence(.dadata, "state.status", "LIQUIDATED", date: "2024-08-30")], floor: .critical),
                marker("registration.unreliable_data", .registration, .high, "Недостоверные сведения в ЕГРЮЛ", 25,
                       evidence: [evidence(.infosphere, "egrul_unreliable", "адрес", date: "2023-11-15")]),
            ]
        }
        report.narrative = .with {
            $0.author = .template
            $0.summary = "Компания ликвидирована 30.08.2024 [1]. Заключать договоры с ней невозможно."
            $0.recommendations = [.with { $0.text = "Не заключать договор: юридическое лицо прекратило деятельность."; $0.priority = .critical }]
            $0.citations = [.with { $0.number = 1; $0.title = "Выписка ЕГРЮЛ"; $0.url = "https://egrul.nalog.ru/"; $0.source = .dadata }]
        }
        return report
    }

    // MARK: - Bankrupt with many lawsuits

    package static var bankrupt: CommonV1.Report {
        var report = base(id: "r-bankrupt-1", inn: "5402987650", version: 1)
        report.company = card(
            inn: "5402987650", ogrn: "1045402123458", kpp: "540201001", short: "АО \"СИБСТРОЙМОНТАЖ\"",
            full: "АКЦИОНЕРНОЕ ОБЩЕСТВО \"СИБСТРОЙМОНТАЖ\"", status: .bankrupt, registered: "2004-07-21",
            address: "630099, Новосибирская обл., г. Новосибирск, ул. Каменская, д. 32, офис 415", head: "Кузнецов Игорь Викторович")
        report.company?.capitalKopecks = 1_000_000_000
        report.company?.employeeCount = 214
        report.company?.finances = [.with {
            $0.year = 2025
            $0.taxSystem = "ОСН"
            $0.incomeKopecks = 120_400_000_000
            $0.expenseKopecks = 151_900_000_000
            $0.debtKopecks = 2_340_000_000
            $0.penaltyKopecks = 410_000_000
        }]
        var cases = [courtCase("А45-9876/2025", date: "2025-02-17", role: .defendant, claim: nil, status: .active,
                               category: "о несостоятельности (банкротстве)", counterparty: "ФНС России", bankruptcy: true)]
        var random = FixtureRandom(seed: 7)
        let disputes = ["о взыскании задолженности по договору подряда", "о взыскании неустойки", "о неисполнении обязательств по договору поставки",
                          "о взыскании неосновательного обогащения", "об оспаривании решения налогового органа"]
        let plaintiffs = ["ООО \"СТРОЙРЕСУРС\"", "АО \"НОВОСИБИРСКЭНЕРГОСБЫТ\"", "ООО \"МЕТАЛЛОПРОКАТ-СИБИРЬ\"", "ПАО \"РОСТЕЛЕКОМ\"", "ООО \"БЕТОН-54\""]
        for index in 0..<47 {
            let year = 2019 + index % 7
            let role: CommonV1.CaseRole = index % 5 == 0 ? .plaintiff : index % 11 == 0 ? .thirdParty : .defendant
            cases.append(courtCase(
                "А45-\(10_000 + random.next(89_999))/\(year)", date: "\(year)-\(pad(1 + random.next(11)))-\(pad(1 + random.next(27)))",
                role: role, claim: Int64(50_000_00 + random.next(90_000_000)) * 10,
                status: year >= 2025 ? .active : role == .defendant ? .lost : .won,
                category: disputes[index % disputes.count], counterparty: plaintiffs[index % plaintiffs.count]))
        }
        report.courtCases = cases
        report.registryHits = [
            .with { $0.kind = .bankruptcy; $0.registry = "bankrot"; $0.title = "Введено наблюдение, дело № А45-9876/2025"; $0.detail = "Временный управляющий Петров А. А."; $0.date = "2025-04-02"; $0.url = "https://bankrot.fedresurs.ru/" },
            .with { $0.kind = .enforcement; $0.registry = "fssp"; $0.title = "Исполнительное производство № 48213/25/54007-ИП"; $0.amountKopecks = 1_275_400_00; $0.date = "2025-05-19" },
            .with { $0.kind = .taxDebt; $0.registry = "fns_debt"; $0.title = "Задолженность по налогам более 1 000 ₽ свыше года"; $0.amountKopecks = 2_340_000_000; $0.date = "2025-10-01" },
        ]
        report.webMentions = [
            mention(.tavily, .news, "Арбитраж ввёл наблюдение в «Сибстроймонтаже»", sentiment: .negative, url: "https://ngs.ru/text/business/2025/04/03/sibstroy", date: "2025-04-03"),
            mention(.tavily, .court, "Кредиторы требуют с «Сибстроймонтажа» 240 млн рублей", sentiment: .negative, url: "https://www.kommersant.ru/doc/7000001", date: "2025-06-20"),
            mention(.perplexity, .finance, "Выручка АО «Сибстроймонтаж» снизилась на 30 %", sentiment: .negative, url: "https://www.rusprofile.ru/id/5402987650", date: "2025-03-30"),
        ]
        report.sources = allSources(cases: cases.count, hits: 3, mentions: 3)
        report.risk = .with {
            $0.score = 88.5
            $0.level = .critical
            $0.confidence = 0.96
            $0.sourceCoverage = 1
            $0.modelVersion = "2026.11.1"
            $0.categories = categories(legal: 95, financial: 80, reputation: 70, regulatory: 10, registration: 60)
            $0.markers = [
                marker("registration.bankrupt", .registration, .critical, "Процедура банкротства", 60,
                       evidence: [evidence(.dadata, "state.status", "BANKRUPT"), evidence(.infosphere, "bankrot", "наблюдение", url: "https://bankrot.fedresurs.ru/", date: "2025-04-02")], floor: .critical),
                marker("legal.many_defendant_cases", .legal, .high, "Много дел в роли ответчика", 30,
                       evidence: [evidence(.casebook, "cases.defendant", defendantSummary(cases))]),
                marker("financial.tax_debt", .financial, .high, "Налоговая задолженность", 25,
                       evidence: [evidence(.infosphere, "fns_debt", "23,4 млн ₽", date: "2025-10-01")]),
                marker("financial.enforcement", .financial, .medium, "Исполнительные производства", 12,
                       evidence: [evidence(.infosphere, "fssp", "1,3 млн ₽", date: "2025-05-19")]),
                marker("reputation.negative_news", .reputation, .medium, "Негативные публикации", 10,
                       evidence: [evidence(.tavily, "news", "3 негативные публикации", url: "https://ngs.ru/text/business/2025/04/03/sibstroy")]),
            ]
        }
        report.narrative = .with {
            $0.author = .llm
            $0.model = "sandbox-llm"
            $0.summary = "В отношении АО «Сибстроймонтаж» введено наблюдение в деле о банкротстве А45-9876/2025 [1]. "
                + "Компания — ответчик по большинству из \(cases.count) арбитражных дел, у неё налоговая задолженность 23,4 млн ₽ [2]."
            $0.recommendations = [
                .with { $0.text = "Не заключать договоры с предоплатой."; $0.priority = .critical },
                .with { $0.text = "Требовать банковскую гарантию при любых поставках."; $0.priority = .high },
            ]
            $0.citations = [
                .with { $0.number = 1; $0.title = "ЕФРСБ: сообщение о введении наблюдения"; $0.url = "https://bankrot.fedresurs.ru/"; $0.source = .infosphere },
                .with { $0.number = 2; $0.title = "ФНС: сведения о задолженности"; $0.url = "https://service.nalog.ru/"; $0.source = .infosphere },
            ]
        }
        return report
    }

    // MARK: - Partial: registries answered, courts and web failed

    package static var partial: CommonV1.Report {
        var report = base(id: "r-partial-1", inn: "5026112237", version: 1)
        report.company = card(
            inn: "5026112237", ogrn: "1175026123458", kpp: "502601001", short: "ООО \"ЛУГОВОЕ\"",
            full: "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ \"ЛУГОВОЕ\"", status: .active, registered: "2017-10-09",
            address: "140100, Московская обл., г. Раменское, ул. Воровского, д. 1", head: "")
        report.company?.managers = []
        report.company?.head = nil
        report.company?.founders = []
        report.sources = [
            status(.dadata, .ok, items: 1),
            status(.casebook, .error, reason: "HTTP 503 после 3 попыток", attempts: 3),
            status(.infosphere, .cached, items: 0, cacheAge: 5_400_000),
            status(.tavily, .timeout, reason: "нет ответа за 10 с"),
            status(.perplexity, .notConfigured, reason: "не задан ключ API"),
        ]
        report.risk = .with {
            $0.score = 22
            $0.level = .low
            $0.confidence = 0.45
            $0.sourceCoverage = 0.5
            $0.modelVersion = "2026.11.1"
            var categories = categories(legal: 0, financial: 10, reputation: 0, regulatory: 0, registration: 35)
            categories[0].hasData = false
            categories[2].hasData = false
            $0.categories = categories
            $0.markers = [
                marker("registration.no_management", .registration, .medium, "В реестре не указан руководитель", 15,
                       evidence: [evidence(.dadata, "management", "пусто")]),
            ]
        }
        report.narrative = .with {
            $0.author = .template
            $0.fallbackReason = "LLM не настроена"
            $0.summary = "Данные о судебных делах и упоминаниях в интернете получить не удалось, поэтому достоверность оценки снижена."
        }
        return report
    }

    // MARK: - Unidentified: no registry knows the INN; courts and the web answered with nothing

    package static var unidentified: CommonV1.Report {
        var report = base(id: "r-unknown-1", inn: "3900123459", version: 1)
        report.clientName = "ООО «Балтийский янтарь»"
        report.notes = "Поставщик янтаря, договор на 2 млн ₽"
        report.sources = [
            status(.dadata, .notFound, reason: "ИНН 3900123459 не найден в ЕГРЮЛ/ЕГРИП"),
            status(.casebook, .ok, items: 0),
            status(.infosphere, .ok, items: 0),
            status(.tavily, .ok, items: 0),
            status(.perplexity, .ok, items: 0),
        ]
        report.risk = .with {
            $0.level = .insufficientData
            $0.confidence = 0
            $0.sourceCoverage = 0.8
            $0.modelVersion = "2026.11.1"
            var categories = categories(legal: 0, financial: 0, reputation: 0, regulatory: 0, registration: 0)
            for index in categories.indices { categories[index].hasData = false }
            $0.categories = categories
        }
        report.narrative = .with {
            $0.author = .template
            $0.fallbackReason = "компания не идентифицирована: заключение составлено по шаблону"
            $0.summary = "Компанию с ИНН 3900123459 не удалось идентифицировать: ЕГРЮЛ/ЕГРИП (через DaData) не знают такого ИНН."
        }
        return report
    }

    // MARK: - Re-run: version 2 of the clean company, with feedback and a diff

    package static var rerun: CommonV1.Report {
        var report = clean
        report.id = "r-clean-2"
        report.version = 2
        report.parentReportId = "r-clean-1"
        report.createdAtMs = createdAt + 86_400_000
        report.courtCases.append(courtCase("А40-77001/2026", date: "2026-10-05", role: .defendant, claim: 950_000_000, status: .active,
                                           category: "о взыскании убытков", counterparty: "ООО \"ГРУЗОВИК\""))
        report.sources = allSources(cases: 3, hits: 0, mentions: 2)
        report.sources[1] = status(.casebook, .ok, items: 3)  // refreshed, as the feedback asked
        report.risk?.score = 31.5
        report.risk?.level = .medium
        report.risk?.markers.insert(
            marker("legal.large_active_claim", .legal, .medium, "Крупный иск в производстве", 19,
                   evidence: [evidence(.casebook, "case А40-77001/2026", "9,5 млн ₽", url: "https://kad.arbitr.ru/Card/77001", date: "2026-10-05")]),
            at: 0)
        report.appliedFeedback = .with {
            $0.id = "f-1"
            $0.reportId = "r-clean-1"
            $0.rating = .partiallyAccurate
            $0.comment = "Не учтён новый иск от ООО «Грузовик», проверьте суды ещё раз."
            $0.focusAreas = ["court"]
            $0.issueTags = ["missing_cases"]
            $0.refreshSources = [.casebook]
            $0.rerun = true
        }
        report.diffFromParent = .with {
            $0.baseReportId = "r-clean-1"
            $0.reportId = "r-clean-2"
            $0.scoreBefore = 12.4
            $0.scoreAfter = 31.5
            $0.levelBefore = .low
            $0.levelAfter = .medium
            $0.markerChanges = [.with {
                $0.kind = .added
                $0.code = "legal.large_active_claim"
                $0.title = "Крупный иск в производстве"
                $0.contributionAfter = 19
                $0.severityAfter = .medium
            }]
            $0.categoryDeltas = ["legal": 38]
            $0.sourceChanges = ["casebook: из кэша → получено"]
        }
        return report
    }

    // MARK: - Stress: very long names, 500 court cases, 1 000 mentions

    package static var stress: CommonV1.Report {
        var report = bankrupt
        report.id = "r-stress-1"
        let longName = "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ \"" + String(repeating: "МЕЖРЕГИОНАЛЬНАЯ-ТОРГОВО-ПРОМЫШЛЕННАЯ-", count: 8) + "КОМПАНИЯ\""
        report.company?.shortName = longName
        report.company?.fullName = longName + " " + String(repeating: "ОЧЕНЬДЛИННОЕСЛОВОБЕЗПРОБЕЛОВ", count: 12)
        report.company?.founders = (0..<40).map { index in
            .with { $0.kind = .person; $0.name = "Учредитель Номер \(index) Длиннофамильный-Двойнойфамилией"; $0.sharePercent = 2.5 }
        }
        var random = FixtureRandom(seed: 11)
        report.courtCases = (0..<500).map { index in
            let year = 2014 + index % 12
            return courtCase(
                "А40-\(100_000 + random.next(899_999))/\(year)", date: "\(year)-\(pad(1 + random.next(11)))-\(pad(1 + random.next(27)))",
                role: index % 3 == 0 ? .plaintiff : .defendant, claim: Int64(random.next(2_000_000_000)),
                status: index % 4 == 0 ? .active : .closed,
                category: String(repeating: "о взыскании задолженности по договору ", count: 1 + index % 4), counterparty: "ООО \"КОНТРАГЕНТ \(index)\"")
        }
        report.webMentions = (0..<1000).map { index in
            mention(index % 2 == 0 ? .tavily : .perplexity, .news, "Публикация номер \(index) о компании" + String(repeating: " и её делах", count: index % 9),
                    sentiment: [.negative, .neutral, .positive][index % 3],
                    url: "https://example.ru/news/\(index)/" + String(repeating: "segment/", count: index % 15), date: "2025-\(pad(1 + index % 12))-15")
        }
        report.sources = allSources(cases: 500, hits: 3, mentions: 1000)
        report.narrative?.summary = "Компания — ответчик по большинству из 500 арбитражных дел."
        return report
    }

    // MARK: - Long: a busy company whose report runs to about 30 pages (for the benchmark)

    package static var long: CommonV1.Report {
        var report = stress
        report.id = "r-long-1"
        report.company = bankrupt.company
        report.courtCases = Array(report.courtCases.prefix(150))
        report.webMentions = Array(report.webMentions.prefix(120))
        report.sources = allSources(cases: 150, hits: 3, mentions: 120)
        return report
    }

    // MARK: - Builders

    static func base(id: String, inn: String, version: Int32) -> CommonV1.Report {
        .with {
            $0.id = id
            $0.threadId = "t-" + inn
            $0.version = version
            $0.jobId = "j-" + id
            $0.inn = inn
            $0.createdAtMs = createdAt
            $0.durationMs = 4_210
            $0.sandbox = true
        }
    }

    static func card(
        inn: String, ogrn: String, kpp: String, short: String, full: String, status: CommonV1.CompanyStatus, registered: String,
        address: String, head: String
    ) -> CommonV1.CompanyCard {
        let manager = CommonV1.Manager.with {
            $0.name = head
            $0.post = "Генеральный директор"
            $0.startDate = "2025-12-01"
            $0.disqualified = false
        }
        return .with {
            $0.inn = inn
            $0.ogrn = ogrn
            $0.kpp = kpp
            $0.ogrnDate = registered
            $0.kind = .legal
            $0.shortName = short
            $0.fullName = full
            $0.legalForm = String(short.prefix { $0 != " " })
            $0.status = status
            $0.registrationDate = registered
            $0.actualityDate = "2026-11-19"
            $0.address = .with { $0.value = address; $0.massRegistration = false }
            $0.head = manager
            $0.managers = [manager]
            $0.founders = [
                .with { $0.kind = .person; $0.name = head.isEmpty ? "Иванов Иван Иванович" : head; $0.sharePercent = 60; $0.shareKopecks = 600_000 },
                .with { $0.kind = .legal; $0.name = "ООО \"ХОЛДИНГ-ИНВЕСТ\""; $0.inn = "7728456786"; $0.sharePercent = 40; $0.shareKopecks = 400_000 },
            ]
            $0.activities = [
                .with { $0.code = "46.90"; $0.name = "Торговля оптовая неспециализированная"; $0.main = true },
                .with { $0.code = "49.41"; $0.name = "Деятельность автомобильного грузового транспорта" },
            ]
            $0.capitalKopecks = 1_000_000
            $0.employeeCount = 38
        }
    }

    static func courtCase(
        _ number: String, date: String, role: CommonV1.CaseRole, claim: Int64?, status: CommonV1.CaseStatus, category: String,
        counterparty: String, bankruptcy: Bool = false
    ) -> CommonV1.CourtCase {
        .with {
            $0.number = number
            $0.court = "АС " + (number.hasPrefix("А40") ? "г. Москвы" : number.hasPrefix("А45") ? "Новосибирской области" : "региона")
            $0.date = date
            $0.category = category
            $0.role = role
            $0.claimKopecks = claim
            $0.status = status
            $0.url = "https://kad.arbitr.ru/Card/" + number.filter(\.isNumber)
            $0.bankruptcy = bankruptcy
            $0.counterparties = [counterparty]
        }
    }

    static func mention(
        _ source: CommonV1.Source, _ intent: CommonV1.SearchIntent, _ title: String, sentiment: CommonV1.Sentiment, url: String, date: String
    ) -> CommonV1.WebMention {
        .with {
            $0.source = source
            $0.intent = intent
            $0.title = title
            $0.url = url
            $0.snippet = "Фрагмент публикации: " + title.lowercased() + "."
            $0.publishedDate = date
            $0.sentiment = sentiment
            $0.relevance = 0.8
        }
    }

    static func status(
        _ source: CommonV1.Source, _ state: CommonV1.SourceStatus.State, reason: String = "", items: Int32 = 0, attempts: Int32 = 1,
        cacheAge: Int64 = 0
    ) -> CommonV1.SourceStatus {
        .with {
            $0.source = source
            $0.state = state
            $0.reason = reason
            $0.items = items
            $0.attempts = attempts
            $0.cacheAgeMs = cacheAge
            $0.durationMs = state == .timeout ? 10_000 : state == .cached ? 2 : 180 + Int64(items % 7) * 40
            $0.fetchedAtMs = state == .ok || state == .cached ? createdAt - cacheAge : 0
        }
    }

    static func allSources(cases: Int, hits: Int, mentions: Int) -> [CommonV1.SourceStatus] {
        [
            status(.dadata, .ok, items: 1),
            status(.casebook, .cached, items: Int32(cases), cacheAge: 3_600_000),
            status(.infosphere, .ok, items: Int32(hits)),
            status(.tavily, .ok, items: Int32(mentions - mentions / 2)),
            status(.perplexity, .ok, items: Int32(mentions / 2)),
        ]
    }

    static func categories(legal: Double, financial: Double, reputation: Double, regulatory: Double, registration: Double) -> [CommonV1.CategoryScore] {
        [
            (CommonV1.RiskCategory.legal, legal, 0.3), (.financial, financial, 0.25), (.reputation, reputation, 0.15),
            (.regulatory, regulatory, 0.15), (.registration, registration, 0.15),
        ].map { category, score, weight in
            .with {
                $0.category = category
                $0.score = score
                $0.weight = weight
                $0.hasData = true
            }
        }
    }

    static func marker(
        _ code: String, _ category: CommonV1.RiskCategory, _ severity: CommonV1.Severity, _ title: String, _ contribution: Double,
        evidence: [CommonV1.Evidence], floor: CommonV1.RiskLevel? = nil
    ) -> CommonV1.Marker {
        .with {
            $0.code = code
            $0.category = category
            $0.severity = severity
            $0.title = title
            $0.description = "Правило \(code)."
            $0.contribution = contribution
            $0.evidence = evidence
            if let floor { $0.levelFloor = floor }
        }
    }

    static func evidence(_ source: CommonV1.Source, _ field: String, _ value: String, url: String = "", date: String = "") -> CommonV1.Evidence {
        .with {
            $0.source = source
            $0.field = field
            $0.value = value
            $0.url = url
            $0.date = date
        }
    }

    /// "34 дела, 179,9 млн ₽": the defendant cases as the marker's evidence states them.
    static func defendantSummary(_ cases: [CommonV1.CourtCase]) -> String {
        let defendant = cases.filter { $0.role == .defendant }
        let kopecks = defendant.compactMap(\.claimKopecks).reduce(0, +)
        let millions = (Double(kopecks) / 1e7).rounded() / 10
        let whole = Int(millions), tenth = Int(((millions - Double(whole)) * 10).rounded())
        return "\(defendant.count) дел, \(whole),\(tenth) млн ₽"
    }

    static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

/// A small deterministic generator, so fixtures are the same on every run.
struct FixtureRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    /// A number in 0..<upperBound.
    mutating func next(_ upperBound: Int) -> Int {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Int(state % UInt64(upperBound))
    }
}
