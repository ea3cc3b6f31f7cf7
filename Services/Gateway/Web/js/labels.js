// Russian names of the API's enum values, as the rendered reports use them
// (Services/ReportRenderer/Service/Content/Labels.swift).

const tables = {
  level: {
    RISK_LEVEL_LOW: 'Низкий риск', RISK_LEVEL_MEDIUM: 'Средний риск', RISK_LEVEL_HIGH: 'Высокий риск',
    RISK_LEVEL_CRITICAL: 'Критический риск', RISK_LEVEL_INSUFFICIENT_DATA: 'Недостаточно данных',
  },
  category: {
    RISK_CATEGORY_LEGAL: 'Судебные', RISK_CATEGORY_FINANCIAL: 'Финансовые', RISK_CATEGORY_REPUTATION: 'Репутационные',
    RISK_CATEGORY_REGULATORY: 'Регуляторные и санкции', RISK_CATEGORY_REGISTRATION: 'Регистрационные',
  },
  severity: {
    SEVERITY_INFO: 'Информация', SEVERITY_LOW: 'Низкая', SEVERITY_MEDIUM: 'Средняя', SEVERITY_HIGH: 'Высокая',
    SEVERITY_CRITICAL: 'Критическая',
  },
  priority: {SEVERITY_CRITICAL: 'Обязательно', SEVERITY_HIGH: 'Важно', SEVERITY_MEDIUM: 'Рекомендуется', SEVERITY_LOW: 'На заметку'},
  source: {
    SOURCE_DADATA: 'DaData', SOURCE_CASEBOOK: 'Casebook', SOURCE_INFOSPHERE: 'InfoSphere', SOURCE_TAVILY: 'Tavily',
    SOURCE_PERPLEXITY: 'Perplexity', SOURCE_LLM: 'LLM',
  },
  sourceSubject: {
    SOURCE_DADATA: 'ЕГРЮЛ/ЕГРИП', SOURCE_CASEBOOK: 'арбитражные дела', SOURCE_INFOSPHERE: 'государственные реестры',
    SOURCE_TAVILY: 'веб-поиск', SOURCE_PERPLEXITY: 'веб-поиск с ответом', SOURCE_LLM: 'текст заключения',
  },
  state: {
    STATE_OK: 'Получено', STATE_CACHED: 'Из кэша', STATE_NOT_CONFIGURED: 'Не настроен', STATE_ERROR: 'Ошибка',
    STATE_TIMEOUT: 'Нет ответа (таймаут)', STATE_CIRCUIT_OPEN: 'Провайдер недоступен', STATE_PARTIAL: 'Частично',
    STATE_DISABLED: 'Отключён', STATE_NOT_FOUND: 'Нет сведений о компании',
  },
  status: {
    COMPANY_STATUS_ACTIVE: 'Действующая', COMPANY_STATUS_LIQUIDATING: 'В процессе ликвидации',
    COMPANY_STATUS_LIQUIDATED: 'Ликвидирована', COMPANY_STATUS_BANKRUPT: 'Банкротство',
    COMPANY_STATUS_REORGANIZING: 'В процессе реорганизации',
  },
  role: {CASE_ROLE_PLAINTIFF: 'Истец', CASE_ROLE_DEFENDANT: 'Ответчик', CASE_ROLE_THIRD_PARTY: 'Третье лицо', CASE_ROLE_OTHER: 'Иная роль'},
  caseStatus: {
    CASE_STATUS_ACTIVE: 'Рассматривается', CASE_STATUS_CLOSED: 'Завершено', CASE_STATUS_WON: 'Выиграно',
    CASE_STATUS_LOST: 'Проиграно', CASE_STATUS_SETTLED: 'Мировое соглашение',
  },
  registry: {
    REGISTRY_KIND_TAX_DEBT: 'Налоговая задолженность (ФНС)', REGISTRY_KIND_ENFORCEMENT: 'Исполнительные производства (ФССП)',
    REGISTRY_KIND_BANKRUPTCY: 'Банкротство (ЕФРСБ)', REGISTRY_KIND_SANCTIONS: 'Санкционные списки',
    REGISTRY_KIND_DISQUALIFICATION: 'Дисквалифицированные лица', REGISTRY_KIND_MASS_ADDRESS: 'Адрес массовой регистрации',
    REGISTRY_KIND_MASS_DIRECTOR: 'Массовый руководитель', REGISTRY_KIND_UNRELIABLE_DATA: 'Недостоверные сведения',
    REGISTRY_KIND_CBR_WARNING: 'Предупреждения ЦБ РФ', REGISTRY_KIND_UNFAIR_SUPPLIER: 'Недобросовестные поставщики (РНП)',
  },
  sentiment: {SENTIMENT_POSITIVE: 'Позитивная', SENTIMENT_NEUTRAL: 'Нейтральная', SENTIMENT_NEGATIVE: 'Негативная'},
  stage: {
    STAGE_QUEUED: 'В очереди', STAGE_STARTED: 'Начат', STAGE_REGISTRIES: 'Реестры и суды', STAGE_WEB_SEARCH: 'Поиск в интернете',
    STAGE_SCORING: 'Оценка риска', STAGE_NARRATIVE: 'Заключение', STAGE_RENDERING: 'Документ PDF', STAGE_STORING: 'Сохранение',
    STAGE_COMPLETED: 'Готово', STAGE_FAILED: 'Ошибка', STAGE_CANCELLED: 'Отменён', STAGE_RETRYING: 'Повтор после сбоя',
  },
  jobState: {
    JOB_STATE_SCHEDULED: 'Запланирован', JOB_STATE_QUEUED: 'В очереди', JOB_STATE_RUNNING: 'Выполняется',
    JOB_STATE_RETRY_WAIT: 'Ожидает повтора', JOB_STATE_SUCCEEDED: 'Готов', JOB_STATE_FAILED: 'Ошибка',
    JOB_STATE_CANCELLED: 'Отменён', JOB_STATE_DEAD: 'В очереди ошибок',
  },
  author: {AUTHOR_LLM: 'языковая модель', AUTHOR_TEMPLATE: 'шаблон'},
  role_: {viewer: 'просмотр', analyst: 'аналитик', admin: 'администратор', ROLE_VIEWER: 'просмотр', ROLE_ANALYST: 'аналитик', ROLE_ADMIN: 'администратор'},
};

/** The Russian name of an enum value: label('level', 'RISK_LEVEL_HIGH') → 'Высокий риск'. */
export function label(table, value) {
  return tables[table]?.[value] ?? String(value ?? '—').replace(/^[A-Z]+(_[A-Z]+)*?_/, '').toLowerCase();
}

export const levels = Object.keys(tables.level);
export const stages = ['STAGE_QUEUED', 'STAGE_STARTED', 'STAGE_REGISTRIES', 'STAGE_WEB_SEARCH', 'STAGE_SCORING', 'STAGE_NARRATIVE', 'STAGE_RENDERING', 'STAGE_STORING', 'STAGE_COMPLETED'];

/** A level's CSS class: level-low … level-insufficient. */
export function levelClass(level) {
  return 'level level-' + String(level ?? '').replace('RISK_LEVEL_', '').toLowerCase().replace('insufficient_data', 'insufficient');
}

/** Asked, but failed or answered only part (Shared/Contracts/Domain: State.incomplete): its silence is not
 * "nothing found". */
export const incompleteStates = new Set(['STATE_ERROR', 'STATE_TIMEOUT', 'STATE_CIRCUIT_OPEN', 'STATE_PARTIAL']);
/** Not asked at all (State.asked is false). */
export const notAskedStates = new Set(['STATE_NOT_CONFIGURED', 'STATE_DISABLED', 'STATE_UNSPECIFIED']);
