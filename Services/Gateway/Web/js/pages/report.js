// A report as an analyst reads it: the verdict and what it rests on. A source that failed or answered partly
// says so in every section it would have filled, and an unidentified company's empty sections say that
// nothing was learned, not that nothing was found.

import {h, append, svg, section, notice, table, external, formatTime, formatDate, formatRoubles, formatScore, percent} from '../dom.js';
import {get, documentUrl} from '../api.js';
import {label, incompleteStates, notAskedStates, levelBadge} from '../labels.js';

export async function render(main, {parameters, title: setTitle}) {
  const {report} = await get(`/reports/${encodeURIComponent(parameters[0])}`);
  const sources = new SourceIndex(report);
  const company = report.company;
  const title = company?.short_name || company?.full_name || `Компания с ИНН ${report.inn}`;
  setTitle(title);

  const root = h('article', {'data-page': 'report', 'data-report': report.id});
  main.append(root);
  append(root, [
    h('p', {class: 'muted no-print'}, h('a', {href: `/threads/${encodeURIComponent(report.thread_id)}`}, `История проверок · версия ${report.version}`)),
    h('h1', {id: 'report-title'}, title),
    h('p', {class: 'muted'}, `ИНН ${report.inn}`, company?.ogrn ? ` · ОГРН ${company.ogrn}` : '', ` · отчёт от ${formatTime(report.created_at_ms)}`,
      report.sandbox ? ' · тестовые данные (песочница)' : ''),
    report.client_name ? h('p', {id: 'client-name'}, 'Название со слов клиента: ', report.client_name) : null,
    report.notes ? h('p', {id: 'client-notes'}, 'Примечания клиента: ', report.notes) : null,
    h('ul', {class: 'toc no-print', 'aria-label': 'Разделы отчёта'},
      [['verdict', 'Вывод'], ['categories', 'Категории'], ['markers', 'Факторы риска'], ['sources', 'Источники'], ['company', 'Карточка'],
        ['courts', 'Суды'], ['registries', 'Реестры'], ['mentions', 'Упоминания'], ['downloads', 'Скачать']]
        .map(([id, text]) => h('li', {}, h('a', {href: `#${id}`}, text)))),
    verdict(report, sources),
    categories(report),
    markers(report),
    sourcesSection(report),
    companyCard(report, sources),
    courts(report, sources),
    registries(report, sources),
    mentions(report, sources),
    downloads(report)]);
  // For the benchmark's "on screen by" (make bench): the report is drawn.
  performance.mark('report-rendered');
}

/** How each source fared (Services/ReportRenderer's SourceIndex, for the same words in every format). */
class SourceIndex {
  constructor(report) {
    this.statuses = new Map((report.sources ?? []).map((status) => [status.source, status]));
    this.identified = Boolean(report.company) || (report.registry_hits ?? []).length > 0;
  }

  failed(source) {
    return incompleteStates.has(this.statuses.get(source)?.state);
  }

  /** "нет данных: Casebook — ошибка: HTTP 503 …" for the sources among these that failed or were not asked. */
  missing(list) {
    return 'нет данных: ' + list.map((source) => {
      const status = this.statuses.get(source);
      if (!status || notAskedStates.has(status.state)) return `${label('source', source)} не опрашивался`;
      return `${label('source', source)} — ${label('state', status.state).toLowerCase()}${status.reason ? ': ' + status.reason : ''}`;
    }).join('; ');
  }

  /** The notice standing in a section whose sources failed, or about an unknown company; null when it can speak. */
  incomplete(list, found) {
    const failed = list.filter((source) => this.failed(source));
    if (failed.length) return notice('warning', this.missing(failed) + (found ? ' — показано только полученное' : ''));
    const asked = list.filter((source) => !notAskedStates.has(this.statuses.get(source)?.state ?? 'STATE_UNSPECIFIED'));
    if (!asked.length) return notice('warning', this.missing(list));
    if (!this.identified && !found) {
      return notice('warning', 'нет данных: компания не идентифицирована — отсутствие записей по этому ИНН ничего о ней не говорит');
    }
    return null;
  }
}

function verdict(report, sources) {
  const risk = report.risk ?? {};
  const score = Number(risk.score ?? 0);
  const rated = risk.level !== 'RISK_LEVEL_INSUFFICIENT_DATA';
  const incomplete = (report.sources ?? []).filter((status) => incompleteStates.has(status.state));
  const narrative = report.narrative ?? {};
  return section('verdict', 'Вывод',
    h('div', {class: 'report-head'},
      gauge(rated ? score : null, risk.level),
      h('div', {},
        h('p', {}, levelBadge(risk.level, {id: 'level', 'data-level': risk.level}),
          ' ', h('strong', {id: 'score', 'data-score': rated ? String(score) : ''}, rated ? `${formatScore(score)} из 100` : 'балл не рассчитан')),
        h('p', {id: 'confidence'}, `Достоверность оценки: ${percent(risk.confidence)}; покрытие источниками: ${percent(risk.source_coverage)}`),
        !sources.identified ? notice('warning', h('strong', {}, `Компанию с ИНН ${report.inn} не удалось идентифицировать.`),
          ' Ни один реестр её не знает: отсутствие нарушений ничего не значит. Что сделать: сверьте ИНН с документами контрагента, запросите выписку из ЕГРЮЛ/ЕГРИП.') : null,
        incomplete.length ? withId('incomplete-sources', notice('warning', h('strong', {}, 'Проверка неполная. '),
          'Не ответили полностью: ', incomplete.map((status) => `${label('source', status.source)} (${label('state', status.state).toLowerCase()})`).join(', '),
          '. Отсутствие сведений от них не означает отсутствия рисков.')) : null)),
    h('div', {id: 'narrative'},
      (narrative.summary ?? '').split(/\n+/).filter(Boolean).map((paragraph) => h('p', {}, paragraph)),
      (narrative.recommendations ?? []).length ? [h('h3', {}, 'Рекомендации'), h('ul', {id: 'recommendations'},
        narrative.recommendations.map((item) => h('li', {}, item.priority ? h('strong', {}, label('priority', item.priority) + ': ') : null, item.text)))] : null,
      h('p', {class: 'muted'}, `Текст заключения: ${label('author', narrative.author)}${narrative.model ? ' (' + narrative.model + ')' : ''}`,
        narrative.fallback_reason ? ` — ${narrative.fallback_reason}` : ''),
      (narrative.citations ?? []).length ? h('ol', {class: 'muted', id: 'citations'}, narrative.citations.map((citation) =>
        h('li', {value: citation.number}, citation.url ? external(citation.url, citation.title || citation.url) : citation.title))) : null));
}

function withId(id, element) {
  element.id = id;
  return element;
}

/** A half-ring gauge of the score, coloured by level, with the number in words for screen readers. */
function gauge(score, level) {
  if (score === null) {
    return svg('svg', {class: 'gauge', viewBox: '0 0 120 70', role: 'img', 'aria-label': `Балл риска не рассчитан: ${label('level', level)}`},
      svg('path', {d: 'M10 60 A50 50 0 0 1 110 60', fill: 'none', stroke: '#d0d7de', 'stroke-width': 10}),
      svg('text', {x: 60, y: 58, 'text-anchor': 'middle', 'font-size': 22, 'font-weight': 700, fill: '#57606a'}, '—'));
  }
  const angle = Math.PI * (1 - Math.min(100, Math.max(0, score)) / 100);
  const x = 60 + 50 * Math.cos(angle), y = 60 - 50 * Math.sin(angle);
  const colour = {RISK_LEVEL_LOW: '#1a7f37', RISK_LEVEL_MEDIUM: '#9a6700', RISK_LEVEL_HIGH: '#bc4c00', RISK_LEVEL_CRITICAL: '#a40e26'}[level] ?? '#57606a';
  return svg('svg', {class: 'gauge', viewBox: '0 0 120 70', role: 'img', 'aria-label': `Балл риска ${formatScore(score)} из 100, ${label('level', level)}`},
    svg('path', {d: 'M10 60 A50 50 0 0 1 110 60', fill: 'none', stroke: '#d0d7de', 'stroke-width': 10}),
    score > 0 ? svg('path', {d: `M10 60 A50 50 0 0 1 ${x.toFixed(2)} ${y.toFixed(2)}`, fill: 'none', stroke: colour, 'stroke-width': 10}) : null,
    svg('text', {x: 60, y: 58, 'text-anchor': 'middle', 'font-size': 22, 'font-weight': 700, fill: '#1b1f24'}, formatScore(score)));
}

function categories(report) {
  const list = report.risk?.categories ?? [];
  return section('categories', 'Категории риска', h('ul', {class: 'bars'}, list.map((category) => {
    const score = Math.round(category.score ?? 0);
    return h('li', {'data-category': category.category, 'data-has-data': String(Boolean(category.has_data))},
      h('span', {}, label('category', category.category), h('span', {class: 'muted'}, ` · вес ${Math.round((category.weight ?? 0) * 100)} %`)),
      h('span', {class: 'bar', role: 'presentation'}, widthOf(h('span', {class: 'fill'}), category.has_data ? score : 0)),
      h('span', {class: 'number'}, category.has_data ? String(score) : 'нет данных'));
  })), list.filter((category) => !category.has_data).map((category) =>
    h('p', {class: 'muted'}, `${label('category', category.category)}: нет данных`,
      (category.missing_sources ?? []).length ? ` — не ответили ${category.missing_sources.map((source) => label('source', source)).join(', ')}` : '')));
}

/** A bar's fill: its width set through the CSSOM, which the page's CSP allows (a style attribute it would not). */
function widthOf(element, score) {
  element.style.width = `${score}%`;
  return element;
}

function markers(report) {
  const list = report.risk?.markers ?? [];
  return section('markers', `Факторы риска (${list.length})`, list.length ? h('ul', {class: 'markers', id: 'marker-list'}, list.map((marker) =>
    h('li', {'data-code': marker.code, class: 'sev-' + String(marker.severity ?? '').replace('SEVERITY_', '').toLowerCase()},
      h('strong', {}, marker.title), ' ',
      h('span', {class: 'muted'}, `${label('severity', marker.severity)} · ${label('category', marker.category)} · вклад ${Math.round(marker.contribution ?? 0)}`),
      marker.description ? h('p', {}, marker.description) : null,
      (marker.evidence ?? []).length ? h('ul', {class: 'evidence', 'aria-label': 'Основания'}, marker.evidence.map((item) =>
        h('li', {}, `${label('source', item.source)}: ${item.field} = `, item.value, item.date ? ` (${formatDate(item.date)})` : '',
          item.url ? [' · ', external(item.url, 'источник')] : null))) : null)))
    : h('p', {}, 'Факторы риска по ответившим источникам не выявлены.'));
}

function sourcesSection(report) {
  return section('sources', 'Источники', table(['Источник', 'Что проверяет', 'Состояние', 'Записей', 'Получено', 'Пояснение'],
    (report.sources ?? []).map((status) => {
      const bad = incompleteStates.has(status.state);
      const cell = h('span', {class: 'state ' + (bad ? 'state-bad' : status.state === 'STATE_OK' || status.state === 'STATE_CACHED' ? 'state-ok' : 'state-partial')},
        label('state', status.state));
      return [label('source', status.source), label('sourceSubject', status.source), cell, String(status.items ?? 0),
        formatTime(status.fetched_at_ms),
        [status.reason || '', status.state === 'STATE_PARTIAL' && status.queries ? ` (ответов ${status.queries_answered} из ${status.queries})` : '',
          status.unavailable_since_ms ? ` · недоступен с ${formatTime(status.unavailable_since_ms)}` : ''].join('')];
    }), {id: 'sources-table'}));
}

function companyCard(report, sources) {
  const company = report.company;
  const gap = sources.incomplete(['SOURCE_DADATA'], Boolean(company));
  if (!company) return section('company', 'Карточка компании', gap);
  const facts = [
    ['Полное наименование', company.full_name], ['Статус', label('status', company.status)],
    ['Дата регистрации', formatDate(company.registration_date)],
    company.liquidation_date ? ['Дата ликвидации', formatDate(company.liquidation_date)] : null,
    ['ИНН / КПП', `${company.inn}${company.kpp ? ' / ' + company.kpp : ''}`], ['ОГРН', company.ogrn],
    ['Адрес', company.address?.value], ['Руководитель', company.head ? `${company.head.name}${company.head.post ? ', ' + company.head.post : ''}` : ''],
    ['Учредители', (company.founders ?? []).map((founder) => founder.name + (founder.share ? ` (${founder.share} %)` : '')).join('; ') || '—'],
    ['Основной вид деятельности', (company.activities ?? []).filter((activity) => activity.main).map((activity) => `${activity.code} ${activity.name}`).join('; ') || '—'],
    ['Уставный капитал', formatRoubles(company.capital_kopecks)], ['Сотрудников', company.employee_count ? String(company.employee_count) : '—'],
    ...(company.finances ?? []).map((year) => [`Финансы ${year.year}`, `выручка ${formatRoubles(year.income_kopecks)}, расходы ${formatRoubles(year.expense_kopecks)}` +
      (year.debt_kopecks ? `, недоимка ${formatRoubles(year.debt_kopecks)}` : '') + (year.penalty_kopecks ? `, штрафы ${formatRoubles(year.penalty_kopecks)}` : '')]),
  ].filter(Boolean);
  return section('company', 'Карточка компании', gap, h('dl', {class: 'facts', id: 'company-facts'},
    facts.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value || '—')])));
}

function courts(report, sources) {
  const cases = report.court_cases ?? [];
  const gap = sources.incomplete(['SOURCE_CASEBOOK'], cases.length > 0);
  if (!cases.length) return section('courts', 'Арбитражные дела', gap ?? h('p', {}, 'Арбитражных дел не найдено.'));
  const columns = [
    {title: 'Номер', value: (item) => item.number, cell: (item) => item.url ? external(item.url, item.number) : item.number},
    {title: 'Дата', value: (item) => item.date, cell: (item) => formatDate(item.date)},
    {title: 'Суд', value: (item) => item.court},
    {title: 'Категория', value: (item) => item.category + (item.bankruptcy ? ' (банкротство)' : '')},
    {title: 'Роль', value: (item) => label('role', item.role)},
    {title: 'Статус', value: (item) => label('caseStatus', item.status)},
    {title: 'Сумма', value: (item) => Number(item.claim_kopecks ?? 0), cell: (item) => formatRoubles(item.claim_kopecks), number: true},
    {title: 'Стороны', value: (item) => (item.counterparties ?? []).join('; ')},
  ];
  let sortBy = 1, ascending = false;
  const filter = h('input', {type: 'search', id: 'cases-filter', placeholder: 'номер, суд, сторона, категория'});
  const role = h('select', {id: 'cases-role'}, h('option', {value: ''}, 'все роли'),
    ['CASE_ROLE_DEFENDANT', 'CASE_ROLE_PLAINTIFF', 'CASE_ROLE_THIRD_PARTY', 'CASE_ROLE_OTHER'].map((value) => h('option', {value}, label('role', value))));
  const count = h('p', {class: 'muted', id: 'cases-count', 'aria-live': 'polite'});
  const head = h('tr', {});
  const body = h('tbody', {});
  const draw = () => {
    const words = filter.value.trim().toLowerCase();
    const shown = cases.filter((item) => (!role.value || item.role === role.value) &&
      (!words || columns.some((column) => String(column.value(item)).toLowerCase().includes(words))))
      .sort((a, b) => {
        const x = columns[sortBy].value(a), y = columns[sortBy].value(b);
        return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
      });
    head.replaceChildren(...columns.map((column, index) => h('th', {scope: 'col', class: column.number ? 'number' : null,
      'aria-sort': index === sortBy ? (ascending ? 'ascending' : 'descending') : 'none'},
      h('button', {type: 'button', 'data-column': index, onclick: () => {
        ascending = index === sortBy ? !ascending : true;
        sortBy = index;
        draw();
        head.querySelector(`button[data-column="${index}"]`).focus();
      }}, column.title, index === sortBy ? (ascending ? ' ▲' : ' ▼') : ''))));
    body.replaceChildren(...shown.map((item) => h('tr', {'data-case': item.number},
      columns.map((column) => h('td', {class: column.number ? 'number' : null}, column.cell ? column.cell(item) : column.value(item))))));
    count.textContent = `Показано ${shown.length} из ${cases.length}`;
  };
  filter.addEventListener('input', draw);
  role.addEventListener('change', draw);
  draw();
  return section('courts', `Арбитражные дела (${cases.length})`, gap,
    h('div', {class: 'row no-print'}, h('div', {class: 'field'}, h('label', {for: 'cases-filter'}, 'Фильтр'), filter),
      h('div', {class: 'field'}, h('label', {for: 'cases-role'}, 'Роль компании'), role)),
    count, h('div', {class: 'table-wrap'}, h('table', {id: 'cases-table'}, h('thead', {}, head), body)));
}

function registries(report, sources) {
  const hits = report.registry_hits ?? [];
  const gap = sources.incomplete(['SOURCE_INFOSPHERE'], hits.length > 0);
  return section('registries', 'Государственные реестры', gap, hits.length
    ? h('ul', {id: 'registry-hits'}, hits.map((hit) => h('li', {'data-kind': hit.kind},
      h('strong', {}, label('registry', hit.kind)), ': ', hit.title, hit.detail ? ` — ${hit.detail}` : '',
      hit.amount_kopecks ? `, ${formatRoubles(hit.amount_kopecks)}` : '', hit.date ? ` (${formatDate(hit.date)})` : '',
      hit.url ? [' · ', external(hit.url, 'источник')] : null)))
    : gap ? null : h('p', {}, 'Записей в реестрах (ФНС, ФССП, ЕФРСБ, санкции, РНП, дисквалификации) не найдено.'));
}

function mentions(report, sources) {
  const list = report.web_mentions ?? [];
  const gap = sources.incomplete(['SOURCE_TAVILY', 'SOURCE_PERPLEXITY'], list.length > 0);
  return section('mentions', `Упоминания в интернете (${list.length})`, gap, list.length
    ? h('ul', {id: 'mention-list'}, list.map((mention) => h('li', {'data-sentiment': mention.sentiment},
      external(mention.url, mention.title || mention.url), ' ',
      h('span', {class: 'muted'}, [mention.published_date ? formatDate(mention.published_date) : '', label('sentiment', mention.sentiment), label('source', mention.source)].filter(Boolean).join(' · ')),
      mention.snippet ? h('p', {}, mention.snippet) : null)))
    : gap ? null : h('p', {}, 'Упоминаний не найдено.'));
}

function downloads(report) {
  const formats = [['pdf', 'PDF'], ['html', 'HTML'], ['markdown', 'Markdown'], ['csv', 'CSV']];
  return section('downloads', 'Скачать', h('div', {class: 'downloads no-print', id: 'download-links'},
    formats.map(([format, text]) => h('a', {class: 'button', href: documentUrl(report.id, format), download: '', 'data-format': format}, text)),
    h('button', {type: 'button', onclick: () => window.print()}, 'Печать')));
}
