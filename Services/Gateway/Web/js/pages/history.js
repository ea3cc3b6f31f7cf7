// The archive: every stored report, filtered; counts over the filter, reports per day for 30 days, and the
// filtered set as CSV or JSON. The filters live in the page's address (?inn=&name=&level=high&level=critical&
// from=2026-12-01&to=2026-12-07&min=&max=&latest=1), so a filtered view can be bookmarked and shared.

import {h, append, clear, svg, section, notice, field, formatTime, formatScore, formatNumber} from '../dom.js';
import {get, query, errorText} from '../api.js';
import {levels, levelBadge} from '../labels.js';

const PAGE_SIZE = 50;
const DAYS = 30;
const MOSCOW_OFFSET_MS = 3 * 3600 * 1000;
const dayLabel = new Intl.DateTimeFormat('ru-RU', {day: 'numeric', month: 'short', timeZone: 'UTC'});
const dayLong = new Intl.DateTimeFormat('ru-RU', {day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC'});

/** low, medium, high, critical, insufficient: the short names in the address and the checkbox ids. */
const shortLevel = (level) => level.replace('RISK_LEVEL_', '').toLowerCase().replace('insufficient_data', 'insufficient');


/** Milliseconds at the start of a `YYYY-MM-DD` day in Moscow (UTC+3 all year), `days` later. */
function moscowDay(text, days = 0) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text ?? '');
  if (!match) return null;
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + days) - MOSCOW_OFFSET_MS;
}

// ---- Filters ----------------------------------------------------------------------------------------------

function readAddress(search) {
  const wanted = new Set(search.getAll('level').map((value) => value.toLowerCase()));
  return {
    inn: search.get('inn') ?? '',
    name: search.get('name') ?? '',
    levels: levels.filter((level) => wanted.has(shortLevel(level)) || wanted.has(level.toLowerCase())),
    from: search.get('from') ?? '',
    to: search.get('to') ?? '',
    min: search.get('min') ?? '',
    max: search.get('max') ?? '',
    latest: ['1', 'true'].includes(search.get('latest') ?? ''),
  };
}

function addressOf(filters) {
  return query({
    inn: filters.inn, name: filters.name, level: filters.levels.map(shortLevel), from: filters.from, to: filters.to,
    min: filters.min, max: filters.max, latest: filters.latest ? '1' : '',
  });
}

/** The filter as the API's query parameters (ReportFilter, `filter.*`). */
function apiFilter(filters) {
  return {
    'filter.inn': filters.inn,
    'filter.name_contains': filters.name,
    'filter.levels': filters.levels,
    'filter.created_from_ms': moscowDay(filters.from),
    'filter.created_to_ms': moscowDay(filters.to, 1),
    'filter.min_score': filters.min,
    'filter.max_score': filters.max,
    'filter.latest_only': filters.latest ? 'true' : '',
  };
}

/** What is wrong with the filters, or null. */
function problem(filters) {
  if (filters.inn && !/^\d{10}(\d{2})?$/.test(filters.inn)) return 'ИНН — 10 или 12 цифр.';
  for (const [name, value] of [['Минимальный балл', filters.min], ['Максимальный балл', filters.max]]) {
    if (value !== '' && !(Number(value) >= 0 && Number(value) <= 100)) return `${name} — число от 0 до 100.`;
  }
  if (filters.min !== '' && filters.max !== '' && Number(filters.min) > Number(filters.max)) return 'Минимальный балл больше максимального.';
  if (filters.from && filters.to && filters.from > filters.to) return 'Дата «с» позже даты «по».';
  return null;
}

function filterForm(initial, onApply) {
  const inn = h('input', {id: 'filter-inn', name: 'inn', inputmode: 'numeric', autocomplete: 'off', maxlength: 12, value: initial.inn});
  const name = h('input', {id: 'filter-name', name: 'name', type: 'search', autocomplete: 'off', value: initial.name});
  const boxes = levels.map((level) => h('input', {
    type: 'checkbox', id: 'filter-level-' + shortLevel(level), name: 'level', value: level, checked: initial.levels.includes(level),
  }));
  const from = h('input', {id: 'filter-from', name: 'from', type: 'date', value: initial.from});
  const to = h('input', {id: 'filter-to', name: 'to', type: 'date', value: initial.to});
  const min = h('input', {id: 'filter-min', name: 'min', type: 'number', min: 0, max: 100, step: 'any', inputmode: 'decimal', value: initial.min});
  const max = h('input', {id: 'filter-max', name: 'max', type: 'number', min: 0, max: 100, step: 'any', inputmode: 'decimal', value: initial.max});
  const latest = h('input', {type: 'checkbox', id: 'filter-latest', name: 'latest', checked: initial.latest});
  const message = h('div', {id: 'history-filters-message', 'aria-live': 'polite'});

  const read = () => ({
    inn: inn.value.trim(), name: name.value.trim(), levels: boxes.filter((box) => box.checked).map((box) => box.value),
    from: from.value, to: to.value, min: min.value.trim(), max: max.value.trim(), latest: latest.checked,
  });
  const form = h('form', {id: 'history-filters', class: 'filters', role: 'search', 'aria-label': 'Фильтры архива'},
    h('div', {class: 'filters-grid'},
      field('ИНН', inn), field('Название содержит', name),
      field('Создан с', from, h('span', {class: 'hint'}, 'Дни по московскому времени')), field('Создан по', to),
      field('Балл от', min), field('Балл до', max)),
    h('fieldset', {class: 'levels'}, h('legend', {}, 'Уровень риска'),
      boxes.map((box) => h('div', {class: 'check'}, box, h('label', {for: box.id}, levelBadge(box.value))))),
    h('div', {class: 'check'}, latest, h('label', {for: 'filter-latest'}, 'Только последняя версия каждой компании')),
    h('div', {class: 'row'},
      h('button', {type: 'submit', class: 'primary'}, 'Применить'),
      h('button', {type: 'button', id: 'filter-reset', onclick: () => {
        form.reset();
        for (const input of [inn, name, from, to, min, max]) input.value = '';
        for (const box of [...boxes, latest]) box.checked = false;
        message.replaceChildren();
        onApply(read());
      }}, 'Сбросить')),
    message);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const filters = read();
    const wrong = problem(filters);
    message.replaceChildren(...(wrong ? [notice('error', wrong)] : []));
    if (!wrong) onApply(filters);
  });
  return form;
}

// ---- Page -------------------------------------------------------------------------------------------------

export async function render(main, {query: search}) {
  const root = h('div', {'data-page': 'history'});
  main.append(root);
  let filters = readAddress(search);

  const stats = h('div', {id: 'stats', 'aria-live': 'polite'});
  const timeline = h('figure', {id: 'timeline', class: 'timeline'});
  const csv = h('a', {id: 'export-csv', class: 'button', download: 'reports.csv', href: '/api/v1/reports/export?format=csv'}, 'Скачать CSV');
  const json = h('a', {id: 'export-json', class: 'button', download: 'reports.json', href: '/api/v1/reports/export?format=json'}, 'Скачать JSON');
  const body = h('tbody', {});
  const results = h('div', {class: 'table-wrap'}, h('table', {id: 'history-results'},
    h('caption', {class: 'visually-hidden'}, 'Отчёты по фильтру'),
    h('thead', {}, h('tr', {}, ['Дата', 'Компания', 'ИНН', 'Уровень', 'Балл', 'Версия', 'Все версии'].map((title) =>
      h('th', {scope: 'col', class: ['Балл', 'Версия'].includes(title) ? 'number' : null}, title)))),
    body));
  const status = h('div', {id: 'history-status', 'aria-live': 'polite'});
  const more = h('button', {type: 'button', id: 'history-more'}, 'Показать ещё');
  const moreSlot = h('div', {class: 'more'});
  let cursor = '';
  let generation = 0;
  let shown = 0;

  append(root, [
    h('h1', {}, 'Архив отчётов'),
    section('history-filter-section', 'Фильтры', filterForm(filters, (next) => {
      filters = next;
      refresh();
    })),
    section('history-stats-section', 'Сводка', stats),
    section('history-timeline-section', `Отчёты за ${DAYS} дней`, timeline),
    section('history-results-section', 'Отчёты',
      h('div', {class: 'downloads', id: 'exports'}, csv, json),
      results, status, moreSlot),
  ]);

  async function loadPage(current, continuing) {
    more.disabled = true;
    try {
      const answer = await get('/reports' + query({...apiFilter(filters), 'page.page_size': PAGE_SIZE, 'page.cursor': continuing ? cursor : ''}));
      if (current !== generation) return;
      const rows = (answer?.reports ?? []).map(resultRow);
      if (continuing) body.append(...rows);
      else body.replaceChildren(...rows);
      shown = body.children.length;
      cursor = answer?.page?.next_cursor ?? '';
      moreSlot.replaceChildren(...(cursor ? [more] : []));
      status.replaceChildren(shown ? h('p', {class: 'muted'}, `Показано: ${shown}${cursor ? ' (есть ещё)' : ''}.`)
        : h('p', {id: 'history-empty'}, 'Отчётов по этим фильтрам нет.'));
    } catch (error) {
      if (current === generation) status.replaceChildren(notice('error', errorText(error)));
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', () => loadPage(generation, true));

  async function loadStats(current) {
    try {
      const answer = await get('/reports/stats' + query(apiFilter(filters)));
      if (current === generation) append(clear(stats), renderStats(answer?.stats ?? {}));
    } catch (error) {
      if (current === generation) stats.replaceChildren(notice('error', errorText(error)));
    }
  }

  async function loadTimeline(current) {
    try {
      const answer = await get('/reports/timeline' + query({days: DAYS, ...apiFilter(filters)}));
      if (current === generation) drawTimeline(timeline, answer?.points ?? []);
    } catch (error) {
      if (current === generation) timeline.replaceChildren(notice('error', errorText(error)));
    }
  }

  function refresh() {
    const current = ++generation;
    const address = addressOf(filters);
    if (location.pathname + location.search !== '/history' + address) window.history.replaceState(null, '', '/history' + address);
    const exportFilter = apiFilter(filters);
    csv.setAttribute('href', '/api/v1/reports/export' + query({format: 'csv', ...exportFilter}));
    json.setAttribute('href', '/api/v1/reports/export' + query({format: 'json', ...exportFilter}));
    body.setAttribute('aria-busy', 'true');
    return Promise.all([loadPage(current, false), loadStats(current), loadTimeline(current)])
      .finally(() => body.removeAttribute('aria-busy'));
  }

  const wrong = problem(filters);
  if (wrong) root.querySelector('#history-filters-message').append(notice('error', wrong));
  await refresh();
}

function resultRow(report) {
  return h('tr', {'data-report': report.id},
    h('td', {class: 'when'}, formatTime(report.created_at_ms)),
    h('td', {}, h('a', {href: `/reports/${encodeURIComponent(report.id)}`}, report.company_name || 'Без названия')),
    h('td', {}, report.inn ?? '—'),
    h('td', {}, levelBadge(report.level)),
    h('td', {class: 'number'}, formatScore(report.score, report.level)),
    h('td', {class: 'number'}, String(report.version ?? '—')),
    h('td', {}, report.thread_id
      ? h('a', {href: `/threads/${encodeURIComponent(report.thread_id)}`, 'aria-label': `Все версии: ${report.company_name || report.inn}`}, 'история')
      : '—'));
}

// ---- Stats ------------------------------------------------------------------------------------------------

function renderStats(stats) {
  const item = (key, title, value) => h('div', {class: 'stat', 'data-stat': key}, h('dt', {}, title), h('dd', {}, value));
  const byLevel = stats.by_level ?? {};
  const order = ['critical', 'high', 'medium', 'low', 'insufficient_data', 'insufficient'];
  const keys = Object.keys(byLevel).sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  return [
    h('dl', {class: 'stats'},
      item('total_reports', 'Отчётов', formatNumber(stats.total_reports ?? 0)),
      item('total_threads', 'Компаний', formatNumber(stats.total_threads ?? 0)),
      item('today', 'Сегодня', formatNumber(stats.today ?? 0)),
      item('this_week', 'За неделю', formatNumber(stats.this_week ?? 0)),
      item('average_score', 'Средний балл', formatNumber(stats.average_score ?? 0)),
      item('high_risk', 'Высокий и критический риск', formatNumber(stats.high_risk ?? 0))),
    keys.length ? h('ul', {class: 'by-level', 'aria-label': 'По уровням риска'}, keys.map((key) => {
      const level = 'RISK_LEVEL_' + key.toUpperCase().replace(/^INSUFFICIENT$/, 'INSUFFICIENT_DATA');
      return h('li', {'data-level': key}, levelBadge(level), ' ', formatNumber(byLevel[key]));
    })) : null,
  ];
}

// ---- Timeline ---------------------------------------------------------------------------------------------

function drawTimeline(figure, points) {
  const total = points.reduce((sum, point) => sum + Number(point.count ?? 0), 0);
  const highTotal = points.reduce((sum, point) => sum + Number(point.high_risk ?? 0), 0);
  const first = points[0]?.date;
  const last = points.at(-1)?.date;
  const period = first && last ? `с ${dayLong.format(new Date(first + 'T00:00:00Z'))} по ${dayLong.format(new Date(last + 'T00:00:00Z'))}` : `за ${DAYS} дней`;
  const summary = `Отчёты по дням ${period}: всего ${total}, из них с высоким и критическим риском ${highTotal}.`;

  const width = Math.max(320, Math.round(figure.clientWidth || 640));
  const height = 180;
  const left = 30;
  const right = 6;
  const top = 10;
  const bottom = 24;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const peak = Math.max(1, ...points.map((point) => Number(point.count ?? 0)));
  const step = points.length ? plotWidth / points.length : plotWidth;
  const barWidth = Math.max(2, step * 0.7);
  const y = (value) => top + plotHeight - (value / peak) * plotHeight;
  const every = Math.max(1, Math.ceil(points.length / Math.max(2, Math.floor(plotWidth / 60))));

  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`, width: '100%', class: 'chart', role: 'img', 'aria-label': summary, focusable: 'false',
    preserveAspectRatio: 'xMidYMid meet',
  },
  svg('title', {}, summary),
  svg('line', {x1: left, x2: width - right, y1: y(0), y2: y(0), class: 'chart-axis', stroke: '#8c959f'}),
  svg('line', {x1: left, x2: width - right, y1: y(peak), y2: y(peak), class: 'chart-grid', stroke: '#d0d7de', 'stroke-dasharray': '3 3'}),
  svg('text', {x: left - 4, y: y(0), 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'chart-label', 'font-size': 11}, '0'),
  svg('text', {x: left - 4, y: y(peak), 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'chart-label', 'font-size': 11}, String(peak)),
  points.map((point, index) => {
    const count = Number(point.count ?? 0);
    const high = Math.min(count, Number(point.high_risk ?? 0));
    const x = left + index * step + (step - barWidth) / 2;
    const day = new Date(point.date + 'T00:00:00Z');
    const tip = `${dayLabel.format(day)}: отчётов ${count}, высокий и критический риск ${high}, средний балл ${formatNumber(point.average_score ?? 0)}`;
    return svg('g', {'data-date': point.date},
      svg('title', {}, tip),
      count ? svg('rect', {x, y: y(count), width: barWidth, height: y(0) - y(count), class: 'chart-bar', fill: '#1d4e89'}) : null,
      high ? svg('rect', {x, y: y(high), width: barWidth, height: y(0) - y(high), class: 'chart-bar-high', fill: '#bc4c00'}) : null,
      (points.length - 1 - index) % every === 0
        ? svg('text', {
          x: index === points.length - 1 ? x + barWidth : x + barWidth / 2, y: height - 6,
          'text-anchor': index === points.length - 1 ? 'end' : 'middle', class: 'chart-label', 'font-size': 11,
        }, dayLabel.format(day))
        : null);
  }));

  const numbers = h('div', {class: 'visually-hidden'}, h('table', {id: 'timeline-table'},
    h('caption', {}, 'Отчёты по дням'),
    h('thead', {}, h('tr', {}, ['День', 'Отчётов', 'Средний балл', 'Высокий и критический риск'].map((title) => h('th', {scope: 'col'}, title)))),
    h('tbody', {}, points.map((point) => h('tr', {},
      h('th', {scope: 'row'}, dayLong.format(new Date(point.date + 'T00:00:00Z'))),
      h('td', {}, String(point.count ?? 0)),
      h('td', {}, formatNumber(point.average_score ?? 0)),
      h('td', {}, String(point.high_risk ?? 0)))))));

  figure.replaceChildren(
    chart, numbers,
    h('figcaption', {},
      h('span', {}, summary, ' Дни — по UTC.'), ' ',
      h('span', {class: 'legend', 'aria-hidden': 'true'},
        h('span', {class: 'legend-item'}, h('span', {class: 'swatch swatch-all'}), 'все отчёты'), ' ',
        h('span', {class: 'legend-item'}, h('span', {class: 'swatch swatch-high'}), 'высокий и критический риск'))));
}
