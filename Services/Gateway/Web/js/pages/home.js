// The start page: search, recent analyses, the queue and the providers' state.

import {h, section, table, notice, formatTime, formatScore, field} from '../dom.js';
import {get, query, can, errorText} from '../api.js';
import {label, levelBadge} from '../labels.js';
import {innProblem, ogrnProblem} from '../inn.js';

export async function render(main, {navigate}) {
  const root = h('div', {'data-page': 'home'});
  main.append(root);
  root.append(h('h1', {}, 'Проверка контрагентов'));

  const input = h('input', {type: 'search', id: 'search-query', name: 'query', required: true, maxlength: 300,
    placeholder: 'ИНН, ОГРН, название или слова из заметок'});
  const results = h('div', {id: 'search-results', 'aria-live': 'polite'});
  const form = h('form', {id: 'search-form', role: 'search', class: 'card'},
    h('div', {class: 'row'}, field('Поиск по проверенным компаниям', input), h('button', {type: 'submit', class: 'primary'}, 'Найти')),
    results);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    search(input.value.trim(), results, navigate);
  });
  root.append(form);
  if (can('analyst')) root.append(h('p', {}, h('a', {class: 'button primary', href: '/analyses/new', id: 'new-analysis'}, 'Новый анализ')));

  const recent = section('recent', 'Последние отчёты', h('p', {class: 'muted'}, 'Загрузка…'));
  const queue = section('queue', 'Очередь', h('p', {class: 'muted'}, 'Загрузка…'));
  const providers = section('providers', 'Источники данных', h('p', {class: 'muted'}, 'Загрузка…'));
  root.append(recent, h('div', {class: 'grid'}, queue, providers));

  // Each card says its own failure in place, rather than loading for ever.
  const load = (card, path, draw) => get(path).then((answer) => fill(card, draw(answer)), (error) => fill(card, notice('error', errorText(error))));
  await Promise.all([
    load(recent, '/reports' + query({'page.page_size': 10}), (answer) => reportsTable(answer.reports ?? [])),
    load(queue, '/admin/queue', queueView),
    load(providers, '/admin/providers', (answer) => providersView(answer.providers ?? [])),
  ]);
}

function fill(card, content) {
  card.querySelector('h2').after(content);
  card.querySelector('p.muted')?.remove();
}

export function reportsTable(reports) {
  if (!reports.length) return h('p', {}, 'Отчётов пока нет.');
  return table(['Дата', 'Компания', 'ИНН', 'Уровень', 'Балл', 'Версия'], reports.map((report) => [
    formatTime(report.created_at_ms),
    h('a', {href: `/reports/${encodeURIComponent(report.id)}`}, report.company_name || `ИНН ${report.inn}`),
    report.inn,
    levelBadge(report.level),
    formatScore(report.score, report.level),
    h('a', {href: `/threads/${encodeURIComponent(report.thread_id)}`}, `v${report.version}`),
  ]), {id: 'recent-table'});
}

function queueView(answer) {
  const states = answer.by_state ?? {};
  const waiting = (states.queued ?? 0) + (states.retry_wait ?? 0);
  const oldest = Number(answer.oldest_queued_age_ms ?? 0);
  return h('dl', {class: 'facts', id: 'queue-depth'},
    h('dt', {}, 'Ждут запуска'), h('dd', {'data-count': 'waiting'}, String(waiting)),
    h('dt', {}, 'Выполняются'), h('dd', {'data-count': 'running'}, String(states.running ?? 0)),
    h('dt', {}, 'Запланированы'), h('dd', {}, String(states.scheduled ?? 0)),
    h('dt', {}, 'В очереди ошибок'), h('dd', {}, String(states.dead ?? 0)),
    h('dt', {}, 'Старейшее ожидание'), h('dd', {}, oldest ? `${Math.round(oldest / 1000)} с` : '—'));
}

function providersView(providers) {
  return h('ul', {class: 'sources-live', id: 'provider-list'}, providers.map((provider) => {
    const healthy = provider.state === 'STATE_OK';
    return h('li', {'data-source': provider.source, 'data-state': provider.state},
      h('strong', {}, label('source', provider.source)), ' — ',
      h('span', {class: 'state ' + (healthy ? 'state-ok' : 'state-bad')}, healthy ? 'доступен' : label('state', provider.state)),
      provider.unavailable_since_ms ? ` с ${formatTime(provider.unavailable_since_ms)}` : '',
      !healthy && provider.reason ? h('div', {class: 'muted'}, provider.reason) : null);
  }));
}

/** An INN or OGRN opens its thread; anything else is a full-text search. */
async function search(text, results, navigate) {
  results.replaceChildren(h('p', {class: 'muted'}, 'Ищем…'));
  try {
    if (/^\d{10}$|^\d{12}$/.test(text) && !innProblem(text)) return await openThread(`/threads/by-inn/${text}`, text, results, navigate);
    if (/^\d{13}$|^\d{15}$/.test(text) && !ogrnProblem(text)) return await openThread(`/threads/by-ogrn/${text}`, text, results, navigate);
    const answer = await get('/threads/search' + query({query: text, 'page.page_size': 20}));
    const threads = answer.threads ?? [];
    results.replaceChildren(threads.length
      ? table(['Компания', 'ИНН', 'Последний уровень', 'Версий', 'Обновлено'], threads.map((thread) => [
        h('a', {href: `/threads/${encodeURIComponent(thread.id)}`}, thread.company_name || `ИНН ${thread.inn}`), thread.inn,
        thread.latest ? levelBadge(thread.latest.level) : '—',
        String(thread.report_count ?? 0), formatTime(thread.updated_at_ms)]), {id: 'search-table'})
      : h('p', {}, `По запросу «${text}» ничего не найдено среди проверенных компаний.`));
  } catch (error) {
    results.replaceChildren(notice('error', error.message));
  }
}

async function openThread(path, key, results, navigate) {
  try {
    const answer = await get(path);
    navigate(`/threads/${encodeURIComponent(answer.thread.id)}`);
  } catch (error) {
    if (error.status !== 404) throw error;
    results.replaceChildren(h('p', {}, `Компанию ${key} ещё не проверяли. `,
      can('analyst') ? h('a', {href: `/analyses/new?inn=${encodeURIComponent(key)}`}, 'Проверить') : null));
  }
}
