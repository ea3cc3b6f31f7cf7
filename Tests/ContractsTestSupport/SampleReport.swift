package import Contracts

/// A realistic full report — a company with 50 court cases, 30 web mentions and 20 risk markers — for the
/// benchmark, the committed wire corpus and tests. Deterministic: the same call gives the same report.
package enum SampleReport {
    package static func full(courtCases: Int = 50, webMentions: Int = 30, markers: Int = 20) -> CommonV1.Report {
        .with { r in
            r.id = "rep_01JDQ8Z3K4M5N6P7Q8R9S0T1V2"
            r.threadId = "thr_01JDQ8Z3K4M5N6P7Q8R9S0T1V2"
            r.version = 2
            r.parentReportId = "rep_01JDQ7Y2J3K4L5M6N7P8Q9R0S1"
            r.jobId = "job_01JDQ8Z3K4M5N6P7Q8R9S0T1V3"
            r.inn = "7707083893"
            r.clientName = "Сбербанк"
            r.notes = "Проверка перед заключением договора поставки"
            r.company = company
            r.courtCases = (0..<courtCases).map(courtCase)
            r.registryHits = (0..<5).map(registryHit)
            r.webMentions = (0..<webMentions).map(webMention)
            r.sources = sources
            r.risk = risk(markers: markers)
            r.narrative = narrative
            r.createdAtMs = 1_764_000_000_000
            r.durationMs = 4_210
            r.documentFormats = ["pdf"]
        }
    }

    static var company: CommonV1.CompanyCard {
        .with { c in
            c.inn = "7707083893"
            c.kpp = "773601001"
            c.ogrn = "1027700132195"
            c.ogrnDate = "2002-08-16"
            c.kind = .legal
            c.fullName = "ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО \"СБЕРБАНК РОССИИ\""
            c.shortName = "ПАО СБЕРБАНК"
            c.legalForm = "ПАО"
            c.status = .active
            c.registrationDate = "1991-06-20"
            c.address = .with {
                $0.value = "г Москва, ул Вавилова, д 19"
                $0.region = "Москва"
                $0.city = "Москва"
                $0.massRegistration = false
            }
            c.head = .with {
                $0.name = "Греф Герман Оскарович"
                $0.post = "ПРЕЗИДЕНТ, ПРЕДСЕДАТЕЛЬ ПРАВЛЕНИЯ"
                $0.startDate = "2007-11-28"
                $0.disqualified = false
            }
            c.managers = [c.head!]
            c.founders = [
                .with {
                    $0.kind = .legal
                    $0.name = "ФОНД НАЦИОНАЛЬНОГО БЛАГОСОСТОЯНИЯ"
                    $0.inn = "7710168360"
                    $0.sharePercent = 50.000_000_01
                }
            ]
            c.activities = [
                .with {
                    $0.code = "64.19"
                    $0.name = "Денежное посредничество прочее"
                    $0.main = true
                }
            ]
            c.capitalKopecks = 6_776_124_730_000
            c.employeeCount = 210_000
            c.branchCount = 87
            c.finances = [
                .with {
                    $0.year = 2024
                    $0.taxSystem = "ОСН"
                    $0.incomeKopecks = 512_300_000_000_00
                    $0.debtKopecks = 0
                }
            ]
        }
    }

    static func courtCase(_ i: Int) -> CommonV1.CourtCase {
        .with {
            $0.number = "А40-\(100_000 + i * 37)/20\(20 + i % 6)"
            $0.court = "Арбитражный суд города Москвы"
            $0.date = "20\(20 + i % 6)-0\(1 + i % 9)-1\(i % 10)"
            $0.category = "О неисполнении или ненадлежащем исполнении обязательств по договорам поставки"
            $0.role = i % 3 == 0 ? .defendant : .plaintiff
            $0.claimKopecks = Int64(1_000_000 + i * 123_457)
            $0.status = i % 4 == 0 ? .active : .closed
            $0.url = "https://casebook.ru/card/case/\(i)"
            $0.counterparties = ["ООО \"Контрагент \(i)\""]
        }
    }

    static func registryHit(_ i: Int) -> CommonV1.RegistryHit {
        .with {
            $0.kind = .enforcement
            $0.registry = "fssp"
            $0.title = "Исполнительное производство № \(12_345 + i)/24/77001-ИП"
            $0.amountKopecks = Int64(50_000 * (i + 1))
            $0.date = "2024-03-1\(i)"
            $0.fields = ["Сумма": "\(500 * (i + 1)) руб.", "Отдел": "ОСП по ЦАО №1"]
        }
    }

    static func webMention(_ i: Int) -> CommonV1.WebMention {
        .with {
            $0.source = i % 2 == 0 ? .tavily : .perplexity
            $0.intent = .news
            $0.query = "ПАО Сбербанк 7707083893 новости"
            $0.title = "Сбербанк сообщил о результатах за \(i + 1) квартал"
            $0.url = "https://example.ru/news/\(i)"
            $0.snippet = "Чистая прибыль банка выросла на \(i)% по сравнению с прошлым годом, сообщает пресс-служба."
            $0.publishedDate = "2025-0\(1 + i % 9)-15"
            $0.sentiment = i % 5 == 0 ? .negative : .neutral
            $0.relevance = 0.5 + Double(i % 5) / 10
        }
    }

    static var sources: [CommonV1.SourceStatus] {
        [
            .with { $0.source = .dadata; $0.state = .ok; $0.durationMs = 52; $0.attempts = 1; $0.items = 1 },
            .with { $0.source = .casebook; $0.state = .cached; $0.cacheAgeMs = 3_600_000; $0.items = 50 },
            .with { $0.source = .infosphere; $0.state = .timeout; $0.reason = "нет ответа за 30 с"; $0.attempts = 3 },
            .with { $0.source = .tavily; $0.state = .ok; $0.items = 15 },
            .with { $0.source = .perplexity; $0.state = .notConfigured; $0.reason = "нет ключа API" },
        ]
    }

    static func risk(markers: Int) -> CommonV1.RiskAssessment {
        .with { r in
            r.score = 37.5
            r.level = .medium
            r.confidence = 0.8
            r.modelVersion = "2026.11.1"
            r.sourceCoverage = 0.6
            r.categories = [CommonV1.RiskCategory.legal, .financial, .reputation, .regulatory, .registration].map { category in
                .with {
                    $0.category = category
                    $0.score = 30
                    $0.weight = 0.2
                    $0.hasData = true
                    $0.markerCodes = ["legal.defendant_cases"]
                }
            }
            r.markers = (0..<markers).map { i in
                .with {
                    $0.code = "legal.marker_\(i)"
                    $0.category = .legal
                    $0.severity = i == 0 ? .high : .medium
                    $0.title = "Компания — ответчик по \(i + 3) арбитражным делам"
                    $0.description = "Большое число исков к компании говорит о проблемах с исполнением обязательств."
                    $0.contribution = Double(i) * 0.75
                    $0.evidence = [
                        .with {
                            $0.source = .casebook
                            $0.field = "case А40-\(100_000 + i)/2024"
                            $0.value = "\(i + 3) дел, \(i + 1),4 млн ₽"
                            $0.url = "https://casebook.ru/card/case/\(i)"
                            $0.date = "2024-05-01"
                        }
                    ]
                }
            }
        }
    }

    static var narrative: CommonV1.Narrative {
        .with {
            $0.author = .template
            $0.summary = "ПАО СБЕРБАНК — действующая компания, зарегистрирована в 1991 году [1]. Уровень риска средний."
            $0.recommendations = [.with { $0.text = "Запросить пояснения по судебным делам"; $0.priority = .medium }]
            $0.citations = [.with { $0.number = 1; $0.title = "ЕГРЮЛ"; $0.url = "https://egrul.nalog.ru"; $0.source = .dadata }]
        }
    }
}
