// Administration (admin role): API keys, the audit log, the queue's dead letters and the providers' cache.
// Every change asks for confirmation first and goes through api(), which sends the session's CSRF token.

import {h, append, clear, section, notice, field, formatTime, percent, formatNumber} from '../dom.js';
import {api, get, query, currentSession, errorText} from '../api.js';
import {label} from '../labels.js';

const sections = [
  {path: 'keys', title: 'API-ключи', text: 'Ключи доступа к API и веб-приложению: выпуск, роли, лимиты, отзыв.', draw: keysPage},
  {path: 'audit', title: 'Журнал аудита', text: 'Изменяющие вызовы и отказы в доступе: кто, что, когда и с каким результатом.', draw: auditPage},
  {path: 'dead-letters', title: 'Очередь ошибок', text: 'Задания, исчерпавшие попытки: причины, повтор, удаление.', draw: deadLettersPage},
  {path: 'cache', title: 'Кэш провайдеров', text: 'Ответы внешних источников в кэше: статистика, просмотр, удаление.', draw: cachePage},
];



function formatBytes(value) {
  const bytes = Number(value ?? 0);
  if (bytes < 1024) return `${bytes} Б`;
  if (bytes < 1024 * 1024) return `${formatNumber(bytes / 1024)} КБ`;
  return `${formatNumber(bytes / 1024 / 1024)} МБ`;
}

function formatDuration(milliseconds) {
  const total = Math.round(Number(milliseconds ?? 0) / 1000);
  if (total <= 0) return 'истёк';
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  if (days) return `${days} д ${hours} ч`;
  if (hours) return `${hours} ч ${minutes} мин`;
  if (minutes) return `${minutes} мин`;
  return `${total} с`;
}

/** A table with its own rows (each with data attributes); `caption` is for screen readers; a header given as
 * [title, 'number'] is right-aligned like its numbers. */
function dataTable(id, caption, headers, body) {
  return h('div', {class: 'table-wrap'}, h('table', {id},
    h('caption', {class: 'visually-hidden'}, caption),
    h('thead', {}, h('tr', {}, headers.map((header) => {
      const [title, kind] = [header].flat();
      return h('th', {scope: 'col', class: kind === 'number' ? 'number' : null}, title);
    }))),
    body));
}

/** A region for the outcome of an action; focusable so focus can move there when the row it came from is gone. */
function messageArea(id) {
  return h('div', {id, 'aria-live': 'polite', tabindex: '-1', class: 'message-area'});
}

function say(area, kind, ...children) {
  area.replaceChildren(notice(kind, ...children));
}

/** Cursor paging into a tbody: load() starts over, the «Показать ещё» button continues. */
function pager({id, tbody, status, fetchPage, row, empty}) {
  const more = h('button', {type: 'button', id: id + '-more'}, 'Показать ещё');
  const slot = h('div', {class: 'more'});
  let cursor = '';
  let generation = 0;
  async function load(continuing = false) {
    const current = continuing ? generation : ++generation;
    more.disabled = true;
    try {
      const {items, next, total} = await fetchPage(continuing ? cursor : '');
      if (current !== generation) return;
      const rows = items.map(row);
      if (continuing) tbody.append(...rows);
      else tbody.replaceChildren(...rows);
      cursor = next || '';
      slot.replaceChildren(...(cursor ? [more] : []));
      const shown = tbody.children.length;
      status.replaceChildren(shown
        ? h('p', {class: 'muted'}, `Показано: ${shown}` + (total != null ? ` из ${total}` : cursor ? ' (есть ещё)' : '') + '.')
        : h('p', {id: id + '-empty'}, empty));
    } catch (error) {
      if (current === generation) status.replaceChildren(notice('error', errorText(error)));
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', () => load(true));
  return {load, slot};
}

export async function render(main, {parameters, title}) {
  const current = parameters[0];
  const page = sections.find((candidate) => candidate.path === current);
  const root = h('div', {'data-page': 'admin', 'data-section': page?.path ?? 'index'});
  if (page) title(`${page.title} · Администрирование`);
  append(root, [
    h('h1', {}, page ? page.title : 'Администрирование'),
    h('nav', {class: 'subnav', 'aria-label': 'Разделы администрирования'}, h('ul', {},
      h('li', {}, h('a', {href: '/admin', 'aria-current': page ? null : 'page'}, 'Обзор')),
      sections.map((candidate) => h('li', {}, h('a', {
        href: '/admin/' + candidate.path, 'aria-current': candidate === page ? 'page' : null, 'data-section': candidate.path,
      }, candidate.title))))),
  ]);
  main.append(root);
  if (!page) {
    root.append(h('div', {class: 'grid', id: 'admin-index'}, sections.map((candidate) =>
      h('section', {class: 'card', 'aria-labelledby': `admin-${candidate.path}-title`},
        h('h2', {id: `admin-${candidate.path}-title`}, h('a', {href: '/admin/' + candidate.path}, candidate.title)),
        h('p', {class: 'muted'}, candidate.text)))));
    return;
  }
  await page.draw(root);
}

// ---- API keys ---------------------------------------------------------------------------------------------

async function keysPage(root) {
  const name = h('input', {id: 'key-name', name: 'name', required: true, maxlength: 200, autocomplete: 'off'});
  const role = h('select', {id: 'key-role', name: 'role'},
    ['ROLE_VIEWER', 'ROLE_ANALYST', 'ROLE_ADMIN'].map((value) => h('option', {value, selected: value === 'ROLE_ANALYST'}, label('keyRole', value))));
  const rate = h('input', {id: 'key-rate', name: 'rate', type: 'number', min: 0, step: 1, value: 0, inputmode: 'numeric'});
  const created = h('div', {id: 'new-key', 'aria-live': 'polite'});
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Выпустить ключ');
  const form = h('form', {id: 'key-form'},
    h('div', {class: 'row'},
      field('Название', name, h('span', {class: 'hint'}, 'Кому или для чего, например «CRM, интеграция»')),
      field('Роль', role),
      field('Запросов в минуту', rate, h('span', {class: 'hint'}, '0 — лимит шлюза по умолчанию'))),
    submit, created);

  const includeRevoked = h('input', {type: 'checkbox', id: 'keys-include-revoked'});
  const tbody = h('tbody', {});
  const status = h('div', {id: 'keys-status', 'aria-live': 'polite'});
  const message = messageArea('keys-message');

  async function load() {
    try {
      const answer = await get('/admin/keys' + query({include_revoked: includeRevoked.checked ? 'true' : ''}));
      const keys = answer?.keys ?? [];
      tbody.replaceChildren(...keys.map(keyRow));
      status.replaceChildren(keys.length ? h('p', {class: 'muted'}, `Ключей: ${keys.length}.`) : h('p', {id: 'keys-empty'}, 'Ключей нет.'));
    } catch (error) {
      status.replaceChildren(notice('error', errorText(error)));
    }
  }

  function keyRow(key) {
    const own = key.id === currentSession()?.key_id;
    return h('tr', {'data-key': key.id, class: key.revoked ? 'revoked' : null},
      h('td', {}, key.name || '—', own ? h('span', {class: 'muted'}, ' (ваш ключ)') : null),
      h('td', {}, h('code', {}, key.id)),
      h('td', {}, label('keyRole', key.role)),
      h('td', {}, formatTime(key.created_at_ms)),
      h('td', {}, formatTime(key.last_used_at_ms)),
      h('td', {class: 'number'}, Number(key.rate_limit_per_minute) ? String(key.rate_limit_per_minute) : 'по умолчанию'),
      h('td', {}, key.revoked ? `отозван ${formatTime(key.revoked_at_ms)}` : h('span', {class: 'state state-ok'}, 'действует')),
      h('td', {class: 'actions'}, key.revoked ? null : h('button', {
        type: 'button', class: 'danger', 'data-action': 'revoke', 'aria-label': `Отозвать ключ «${key.name || key.id}»`,
        onclick: (event) => revoke(key, own, event.currentTarget),
      }, 'Отозвать')));
  }

  async function revoke(key, own, button) {
    const question = `Отозвать ключ «${key.name || key.id}» (${key.id})? Программы, которые им пользуются, сразу потеряют доступ.`
      + (own ? '\n\nЭто ключ вашей сессии: после отзыва вы выйдете из приложения.' : '');
    if (!confirm(question)) return;
    button.disabled = true;
    try {
      await api('DELETE', `/admin/keys/${encodeURIComponent(key.id)}`);
      say(message, 'info', `Ключ «${key.name || key.id}» отозван.`);
      message.focus();
      await load();
    } catch (error) {
      button.disabled = false;
      say(message, 'error', errorText(error));
      message.focus();
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    created.replaceChildren();
    const limit = Number(rate.value || 0);
    if (!Number.isInteger(limit) || limit < 0) {
      created.append(notice('error', 'Лимит — целое число не меньше 0.'));
      rate.focus();
      return;
    }
    submit.disabled = true;
    try {
      const answer = await api('POST', '/admin/keys', {name: name.value.trim(), role: role.value, rate_limit_per_minute: limit});
      const secret = answer?.secret ?? '';
      const copy = h('button', {type: 'button', id: 'copy-secret'}, 'Скопировать');
      const output = h('output', {id: 'new-secret', class: 'secret', for: 'key-name'}, h('code', {}, secret));
      copy.addEventListener('click', async () => {
        try {
          await navigator.clipboard.writeText(secret);
          copy.textContent = 'Скопировано';
        } catch {
          getSelection().selectAllChildren(output);
          copy.textContent = 'Выделено — нажмите Ctrl+C';
        }
      });
      created.append(notice('warning',
        h('strong', {}, 'Секрет показывается только один раз. '),
        `Скопируйте его сейчас и передайте владельцу ключа «${answer?.key?.name ?? name.value}» (${label('keyRole', answer?.key?.role ?? role.value)}); `,
        'потом его не узнать — только выпустить новый ключ.',
        output, copy));
      form.reset();
      copy.focus();
      await load();
    } catch (error) {
      created.append(notice('error', errorText(error)));
    } finally {
      submit.disabled = false;
    }
  });
  includeRevoked.addEventListener('change', load);

  append(root, [
    section('keys-create', 'Новый ключ', form),
    section('keys-list', 'Ключи',
      h('div', {class: 'check'}, includeRevoked, h('label', {for: 'keys-include-revoked'}, 'Показывать отозванные')),
      message,
      dataTable('keys', 'API-ключи', ['Название', 'ID', 'Роль', 'Выпущен', 'Последнее использование', ['Лимит в минуту', 'number'], 'Состояние', 'Действия'], tbody),
      status),
  ]);
  await load();
}

// ---- Audit log --------------------------------------------------------------------------------------------

async function auditPage(root) {
  const actor = h('input', {id: 'audit-actor', name: 'actor', autocomplete: 'off'});
  const action = h('input', {id: 'audit-action', name: 'action', autocomplete: 'off'});
  const filters = h('form', {id: 'audit-filters', class: 'toolbar', role: 'search', 'aria-label': 'Фильтры журнала'},
    field('Ключ (ID)', actor),
    field('Действие начинается с', action, h('span', {class: 'hint'}, 'например gateway.v1.Admin/')),
    h('button', {type: 'submit'}, 'Показать'));
  const tbody = h('tbody', {});
  const status = h('div', {id: 'audit-status', 'aria-live': 'polite'});
  const paging = pager({
    id: 'audit', tbody, status, empty: 'Записей нет.',
    fetchPage: async (cursor) => {
      const answer = await get('/admin/audit' + query({
        'page.page_size': 50, 'page.cursor': cursor, actor: actor.value.trim(), action_prefix: action.value.trim(),
      }));
      return {items: answer?.records ?? [], next: answer?.page?.next_cursor, total: answer?.page?.total};
    },
    row: (record) => h('tr', {'data-audit': record.id},
      h('td', {class: 'when'}, formatTime(record.at_ms)),
      h('td', {}, h('code', {}, record.actor || '—')),
      h('td', {}, record.role ? label('keyRole', record.role) : '—'),
      h('td', {}, h('code', {}, record.action || '—')),
      h('td', {}, record.target ? h('code', {}, record.target) : '—'),
      h('td', {}, h('span', {class: record.outcome === 'OK' ? 'state state-ok' : 'state state-bad'}, record.outcome || '—')),
      h('td', {}, h('code', {}, record.request_id || '—')),
      h('td', {}, record.remote_address || '—'),
      h('td', {}, detailsList(record.details))),
  });
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    paging.load();
  });
  append(root, [
    section('audit-section', 'Записи журнала', filters,
      dataTable('audit', 'Журнал аудита',
        ['Время', 'Ключ', 'Роль', 'Действие', 'Объект', 'Результат', 'Запрос', 'Адрес', 'Подробности'], tbody),
      status, paging.slot),
  ]);
  await paging.load();
}

function detailsList(details) {
  const entries = Object.entries(details ?? {});
  if (!entries.length) return '—';
  return h('ul', {class: 'details-list'}, entries.map(([key, value]) => h('li', {}, h('span', {class: 'muted'}, key + ': '), value)));
}

// ---- Dead letters -----------------------------------------------------------------------------------------

async function deadLettersPage(root) {
  const tbody = h('tbody', {});
  const status = h('div', {id: 'dead-letters-status', 'aria-live': 'polite'});
  const message = messageArea('dead-letters-message');
  const paging = pager({
    id: 'dead-letters', tbody, status, empty: 'Очередь ошибок пуста.',
    fetchPage: async (cursor) => {
      const answer = await get('/admin/dead-letters' + query({'page.page_size': 50, 'page.cursor': cursor}));
      return {items: answer?.dead_letters ?? [], next: answer?.page?.next_cursor, total: answer?.page?.total};
    },
    row: (letter) => h('tr', {'data-dead-letter': letter.job_id},
      h('td', {}, h('a', {href: `/jobs/${encodeURIComponent(letter.job_id)}`}, h('code', {}, letter.job_id))),
      h('td', {}, letter.inn || '—'),
      h('td', {class: 'when'}, formatTime(letter.dead_at_ms)),
      h('td', {class: 'number'}, String(letter.attempts ?? 0)),
      h('td', {}, letter.backend || '—'),
      h('td', {}, letter.reason || '—',
        letter.errors?.length ? h('details', {}, h('summary', {}, `Все ошибки (${letter.errors.length})`),
          h('ol', {class: 'details-list'}, letter.errors.map((text) => h('li', {}, text)))) : null),
      h('td', {class: 'actions'},
        h('button', {type: 'button', 'data-action': 'replay', 'aria-label': `Повторить задание ${letter.job_id}`,
          onclick: (event) => replay([letter.job_id], event.currentTarget)}, 'Повторить'),
        h('button', {type: 'button', class: 'danger', 'data-action': 'purge', 'aria-label': `Удалить задание ${letter.job_id}`,
          onclick: (event) => purge([letter.job_id], event.currentTarget)}, 'Удалить'))),
  });

  async function replay(jobIds, button) {
    const question = jobIds.length ? `Повторить задание ${jobIds[0]}? Оно снова встанет в очередь анализа.`
      : 'Повторить все задания из очереди ошибок? Они снова встанут в очередь анализа.';
    if (!confirm(question)) return;
    button.disabled = true;
    try {
      const answer = await api('POST', '/admin/dead-letters/replay', jobIds.length ? {job_ids: jobIds} : {all: true});
      const jobs = answer?.jobs ?? [];
      say(message, 'info', jobs.length ? `Снова в очереди: ${jobs.length}. ` : 'Повторять нечего.',
        jobs.slice(0, 10).map((job, index) => [index ? ', ' : '', h('a', {href: `/jobs/${encodeURIComponent(job.id)}`}, job.id)]));
    } catch (error) {
      say(message, 'error', errorText(error));
    } finally {
      button.disabled = false;
    }
    message.focus();
    await paging.load();
  }

  async function purge(jobIds, button) {
    const question = jobIds.length ? `Удалить задание ${jobIds[0]} из очереди ошибок? Повторить его будет нельзя.`
      : 'Удалить все задания из очереди ошибок? Повторить их будет нельзя.';
    if (!confirm(question)) return;
    button.disabled = true;
    try {
      const answer = await api('POST', '/admin/dead-letters/purge', jobIds.length ? {job_ids: jobIds} : {all: true});
      say(message, 'info', `Удалено: ${Number(answer?.purged ?? 0)}.`);
    } catch (error) {
      say(message, 'error', errorText(error));
    } finally {
      button.disabled = false;
    }
    message.focus();
    await paging.load();
  }

  const replayAll = h('button', {type: 'button', id: 'dead-letters-replay-all', onclick: (event) => replay([], event.currentTarget)}, 'Повторить все');
  const purgeAll = h('button', {type: 'button', id: 'dead-letters-purge', class: 'danger', onclick: (event) => purge([], event.currentTarget)}, 'Удалить все');
  append(root, [
    section('dead-letters-section', 'Задания, исчерпавшие попытки',
      h('div', {class: 'toolbar'}, replayAll, purgeAll),
      message,
      dataTable('dead-letters', 'Очередь ошибок', ['Задание', 'ИНН', 'Когда', ['Попыток', 'number'], 'Очередь', 'Причина', 'Действия'], tbody),
      status, paging.slot),
  ]);
  await paging.load();
}

// ---- Cache ------------------------------------------------------------------------------------------------

async function cachePage(root) {
  const stats = h('div', {id: 'cache-stats', 'aria-live': 'polite'});
  const message = messageArea('cache-message');
  const listPrefix = h('input', {id: 'cache-filter-prefix', name: 'prefix', autocomplete: 'off', spellcheck: 'false'});
  const listForm = h('form', {id: 'cache-filter', class: 'toolbar', role: 'search', 'aria-label': 'Поиск в кэше'},
    field('Ключ начинается с', listPrefix, h('span', {class: 'hint'}, 'например casebook: или dadata:7707')),
    h('button', {type: 'submit'}, 'Показать'));
  const deletePrefix = h('input', {id: 'cache-prefix', name: 'prefix', required: true, autocomplete: 'off', spellcheck: 'false'});
  const deleteButton = h('button', {type: 'submit', class: 'danger'}, 'Удалить по префиксу');
  const deleteForm = h('form', {id: 'cache-prefix-form', class: 'toolbar'},
    field('Удалить записи с префиксом', deletePrefix), deleteButton);
  const tbody = h('tbody', {});
  const status = h('div', {id: 'cache-status', 'aria-live': 'polite'});

  async function loadStats() {
    try {
      const answer = await get('/admin/cache/stats');
      const item = (key, title, value) => h('div', {class: 'stat', 'data-stat': key}, h('dt', {}, title), h('dd', {}, value));
      append(clear(stats), [
        h('dl', {class: 'stats'},
          item('entries', 'Записей', formatNumber(answer?.entries ?? 0)),
          item('bytes', 'Объём', formatBytes(answer?.bytes)),
          item('hit_rate', 'Доля попаданий', percent(answer?.hit_rate)),
          item('expired_removed', 'Удалено истёкших', formatNumber(answer?.expired_removed ?? 0))),
        (answer?.sources ?? []).length ? dataTable('cache-sources', 'Кэш по источникам',
          ['Источник', ...['Попаданий', 'Промахов', 'Доля попаданий', 'Записей', 'Объём'].map((title) => [title, 'number'])],
          h('tbody', {}, answer.sources.map((source) => {
            const hits = Number(source.hits ?? 0);
            const misses = Number(source.misses ?? 0);
            return h('tr', {'data-source': source.source},
              h('td', {}, label('source', source.source)),
              h('td', {class: 'number'}, String(hits)),
              h('td', {class: 'number'}, String(misses)),
              h('td', {class: 'number'}, hits + misses ? percent(hits / (hits + misses)) : '—'),
              h('td', {class: 'number'}, String(source.entries ?? 0)),
              h('td', {class: 'number'}, formatBytes(source.bytes)));
          }))) : null,
      ]);
    } catch (error) {
      stats.replaceChildren(notice('error', errorText(error)));
    }
  }

  const paging = pager({
    id: 'cache', tbody, status, empty: 'Записей нет.',
    fetchPage: async (cursor) => {
      const answer = await get('/admin/cache' + query({'page.page_size': 50, 'page.cursor': cursor, prefix: listPrefix.value.trim()}));
      return {items: answer?.entries ?? [], next: answer?.page?.next_cursor, total: answer?.page?.total};
    },
    row: (entry) => h('tr', {'data-cache-key': entry.key},
      h('td', {}, h('code', {}, entry.key)),
      h('td', {}, label('source', entry.source)),
      h('td', {class: 'number'}, formatBytes(entry.size_bytes)),
      h('td', {class: 'when'}, formatTime(entry.created_at_ms)),
      h('td', {}, formatDuration(entry.expires_in_ms)),
      h('td', {class: 'actions'}, h('button', {
        type: 'button', class: 'danger', 'data-action': 'delete', 'aria-label': `Удалить запись ${entry.key}`,
        onclick: (event) => remove({key: entry.key}, `Удалить из кэша запись «${entry.key}»? Следующий анализ запросит источник заново.`, event.currentTarget),
      }, 'Удалить'))),
  });

  async function remove(target, question, button) {
    if (!confirm(question)) return;
    button.disabled = true;
    try {
      const answer = await api('DELETE', '/admin/cache' + query(target));
      say(message, 'info', `Удалено записей: ${Number(answer?.deleted ?? 0)}.`);
      if (target.prefix) deleteForm.reset();
    } catch (error) {
      say(message, 'error', errorText(error));
    } finally {
      button.disabled = false;
    }
    message.focus();
    await Promise.all([loadStats(), paging.load()]);
  }

  listForm.addEventListener('submit', (event) => {
    event.preventDefault();
    paging.load();
  });
  deleteForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const prefix = deletePrefix.value.trim();
    if (!prefix) {
      say(message, 'error', 'Укажите непустой префикс.');
      deletePrefix.focus();
      return;
    }
    remove({prefix}, `Удалить из кэша все записи, ключ которых начинается с «${prefix}»?`, deleteButton);
  });

  append(root, [
    section('cache-stats-section', 'Статистика', stats),
    section('cache-entries-section', 'Записи',
      h('div', {class: 'toolbars'}, listForm, deleteForm), message,
      dataTable('cache', 'Записи кэша', ['Ключ', 'Источник', ['Размер', 'number'], 'Создана', 'Истекает через', 'Действия'], tbody),
      status, paging.slot),
  ]);
  await Promise.all([loadStats(), paging.load()]);
}
