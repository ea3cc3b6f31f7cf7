// A company's thread: every report version, what changed between two of them, and the feedback given on
// them (analysts can add feedback and re-run the analysis with it).

import {h, append, section, notice, field, formatTime, formatScore, formatNumber} from '../dom.js';
import {api, get, can, errorText} from '../api.js';
import {label, levelBadge} from '../labels.js';

const ratings = {
  FEEDBACK_RATING_ACCURATE: 'Отчёт точный',
  FEEDBACK_RATING_PARTIALLY_ACCURATE: 'Отчёт частично точный',
  FEEDBACK_RATING_INACCURATE: 'Отчёт неточный',
};
const kinds = {
  KIND_ADDED: ['added', 'добавлен'],
  KIND_REMOVED: ['removed', 'снят'],
  KIND_CHANGED: ['changed', 'изменён'],
};
const signed = new Intl.NumberFormat('ru-RU', {maximumFractionDigits: 1, signDisplay: 'exceptZero'});



export async function render(main, {parameters, title}) {
  const id = parameters[0];
  const root = h('div', {'data-page': 'thread'});
  main.append(root);
  let data;
  try {
    data = await get(`/threads/${encodeURIComponent(id)}`);
  } catch (error) {
    root.append(h('h1', {}, 'История компании'), notice('error', errorText(error)));
    return;
  }
  const thread = data.thread ?? {};
  const reports = [...(data.reports ?? [])].sort((a, b) => a.version - b.version);
  const byId = new Map(reports.map((report) => [report.id, report]));
  const latest = reports.at(-1) ?? thread.latest;
  const name = thread.company_name || 'Компания без названия';
  title(`${name} · История компании`);

  append(root, [
    h('h1', {id: 'thread-title'}, name, ' ', h('span', {class: 'muted thread-inn'}, `ИНН ${thread.inn ?? '—'}`)),
    h('p', {class: 'muted'},
      `Версий: ${thread.report_count ?? reports.length} · первая ${formatTime(thread.created_at_ms)} · обновлено ${formatTime(thread.updated_at_ms)}`),
    thread.notes ? h('p', {class: 'thread-notes'}, thread.notes) : null,
    versionsSection(reports, byId, latest),
    diffSection(reports),
    can('analyst') && latest ? feedbackFormSection(latest, () => feedback.reload()) : null]);
  const feedback = feedbackListSection(id, byId);
  root.append(feedback.element);
  await Promise.all([feedback.reload(), root.querySelector('#diff-form')?.autoCompare?.()]);
}

// ---- Versions ---------------------------------------------------------------------------------------------

function versionsSection(reports, byId, latest) {
  if (!reports.length) return section('versions-section', 'Версии', h('p', {class: 'muted'}, 'Отчётов пока нет.'));
  const items = reports.map((report) => {
    const parent = byId.get(report.parent_report_id);
    // A version with too little data has no score: no change is computed against it.
    const delta = parent && report.level !== 'RISK_LEVEL_INSUFFICIENT_DATA' && parent.level !== 'RISK_LEVEL_INSUFFICIENT_DATA' ? Number(report.score) - Number(parent.score) : null;
    return h('li', {'data-version': report.version, 'data-report': report.id, class: report.id === latest?.id ? 'latest' : null},
      h('div', {class: 'version-head'},
        h('a', {href: `/reports/${encodeURIComponent(report.id)}`, class: 'version-link'}, `Версия ${report.version}`),
        report.id === latest?.id ? h('span', {class: 'muted'}, ' (последняя)') : null),
      h('div', {class: 'version-body'},
        h('time', {datetime: new Date(Number(report.created_at_ms) || 0).toISOString()}, formatTime(report.created_at_ms)),
        ' ', levelBadge(report.level), ' ',
        h('span', {class: 'version-score'}, `балл ${formatScore(report.score, report.level)}`),
        delta !== null && delta !== 0 ? h('span', {class: delta > 0 ? 'delta delta-up' : 'delta delta-down'},
          ` (${signed.format(delta)} к версии ${parent.version})`) : null,
        h('span', {class: 'muted'}, ` · маркеров: ${report.marker_count ?? 0}`),
        report.parent_report_id && parent ? h('span', {class: 'muted'}, ` · повторный анализ версии ${parent.version}`) : null));
  });
  return section('versions-section', 'Версии', h('ol', {id: 'versions', class: 'versions'}, items));
}

// ---- Diff -------------------------------------------------------------------------------------------------

function versionOptions(reports, selectedId) {
  return reports.map((report) => h('option', {value: report.id, selected: report.id === selectedId},
    `Версия ${report.version} · ${formatTime(report.created_at_ms)} · балл ${formatScore(report.score, report.level)}`));
}

function diffSection(reports) {
  const other = reports.at(-1);
  const base = reports.at(-2) ?? other;
  const baseSelect = h('select', {id: 'diff-base', name: 'base'}, versionOptions(reports, base?.id));
  const otherSelect = h('select', {id: 'diff-other', name: 'other'}, versionOptions(reports, other?.id));
  const output = h('div', {id: 'diff', 'aria-live': 'polite'});
  const button = h('button', {type: 'submit', class: 'primary', disabled: reports.length < 2}, 'Сравнить');
  const form = h('form', {id: 'diff-form', class: 'row'},
    field('Исходная версия', baseSelect), field('Сравнить с версией', otherSelect), h('div', {class: 'field'}, button));

  let latestCall = 0;
  async function compare() {
    const call = ++latestCall;
    const ids = [baseSelect.value, otherSelect.value];
    if (ids[0] === ids[1]) {
      output.replaceChildren(notice('warning', 'Выберите две разные версии.'));
      return;
    }
    button.disabled = true;
    output.setAttribute('aria-busy', 'true');
    try {
      const answer = await api('POST', '/reports/compare', {report_ids: ids});
      if (call !== latestCall) return;
      const diff = (answer?.diffs ?? []).find((item) => item.report_id === ids[1]) ?? answer?.diffs?.[0];
      const versionOf = (reportId) => reports.find((report) => report.id === reportId)?.version ?? '?';
      output.replaceChildren(diff ? renderDiff(diff, versionOf) : notice('warning', 'Сервер не вернул сравнение.'));
    } catch (error) {
      if (call === latestCall) output.replaceChildren(notice('error', errorText(error)));
    } finally {
      if (call === latestCall) {
        button.disabled = false;
        output.removeAttribute('aria-busy');
      }
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    compare();
  });
  form.autoCompare = () => (reports.length >= 2 ? compare() : null);
  return section('diff-section', 'Сравнение версий',
    reports.length < 2 ? h('p', {class: 'muted'}, 'Сравнение появится, когда у компании будет вторая версия отчёта.') : null,
    form, output);
}

function renderDiff(diff, versionOf) {
  const before = Number(diff.score_before ?? 0);
  const after = Number(diff.score_after ?? 0);
  const changes = diff.marker_changes ?? [];
  const deltas = Object.entries(diff.category_deltas ?? {});
  const sources = diff.source_changes ?? [];
  // What changed about the company; diffs stored before change detection carry none and say nothing of it.
  const events = diff.changes ?? [];
  const nothing = !changes.length && !deltas.length && !sources.length && !events.length && before === after && diff.level_before === diff.level_after;
  return h('div', {class: 'diff', 'data-base': diff.base_report_id, 'data-other': diff.report_id},
    h('h3', {}, `Версия ${versionOf(diff.base_report_id)} → версия ${versionOf(diff.report_id)}`),
    h('dl', {class: 'facts'},
      h('dt', {}, 'Балл'),
      h('dd', {id: 'diff-score'}, `${formatScore(before, diff.level_before)} → ${formatScore(after, diff.level_after)}`,
        diff.level_before === 'RISK_LEVEL_INSUFFICIENT_DATA' || diff.level_after === 'RISK_LEVEL_INSUFFICIENT_DATA' ? null : after !== before ? h('span', {class: after > before ? 'delta delta-up' : 'delta delta-down'}, ` (${signed.format(after - before)})`) : ' (без изменений)'),
      h('dt', {}, 'Уровень риска'),
      h('dd', {id: 'diff-level'}, levelBadge(diff.level_before), ' → ', levelBadge(diff.level_after))),
    nothing ? h('p', {class: 'muted'}, 'Маркеры, категории и источники не изменились.') : null,
    diff.changes_compared ? [h('h4', {}, 'Что изменилось в данных о компании'), events.length
      ? h('ul', {id: 'diff-changes', class: 'company-changes'}, events.map(companyChange))
      : h('p', {id: 'diff-changes-none', class: 'muted'}, 'Изменений в данных о компании не обнаружено.')] : null,
    changes.length ? [h('h4', {}, 'Маркеры'), h('ul', {id: 'diff-markers', class: 'marker-changes'}, changes.map(markerChange))] : null,
    deltas.length ? [h('h4', {}, 'Категории'), h('ul', {id: 'diff-categories', class: 'plain'}, deltas.map(([category, delta]) =>
      h('li', {'data-category': category},
        label('category', 'RISK_CATEGORY_' + category.toUpperCase()) + ': ',
        h('span', {class: Number(delta) > 0 ? 'delta delta-up' : 'delta delta-down'}, signed.format(Number(delta))))))] : null,
    sources.length ? [h('h4', {}, 'Источники'), h('ul', {id: 'diff-sources', class: 'plain'}, sources.map((text) => h('li', {}, sourceChange(text))))] : null);
}

/** One change event: its severity (or that a source could not be compared), what changed, and its evidence. */
function companyChange(event) {
  const compared = event.kind !== 'KIND_SOURCE';
  const severity = String(event.severity ?? '').replace('SEVERITY_', '').toLowerCase();
  return h('li', {'data-kind': event.kind, class: compared ? 'sev-' + severity : 'not-compared'},
    h('strong', {}, compared ? label('severity', event.severity) : 'Не сравнивалось'), ': ', event.summary,
    (event.evidence ?? []).length ? h('div', {class: 'muted evidence'}, event.evidence.join('; ')) : null);
}

function markerChange(change) {
  const [kind, word] = kinds[change.kind] ?? ['changed', 'изменён'];
  const parts = [];
  if (change.kind !== 'KIND_ADDED') parts.push(`было ${formatNumber(change.contribution_before ?? 0)}`);
  if (change.kind !== 'KIND_REMOVED') parts.push(`стало ${formatNumber(change.contribution_after ?? 0)}`);
  const severities = change.kind === 'KIND_ADDED' ? label('severity', change.severity_after)
    : change.kind === 'KIND_REMOVED' ? label('severity', change.severity_before)
      : change.severity_before !== change.severity_after
        ? `${label('severity', change.severity_before)} → ${label('severity', change.severity_after)}` : label('severity', change.severity_after);
  return h('li', {'data-kind': kind, 'data-code': change.code, class: 'change-' + kind},
    h('span', {class: 'change-kind'}, word), ' ',
    h('strong', {}, change.title || change.code), ' ', h('code', {class: 'muted'}, change.code),
    h('span', {class: 'muted'}, ` · вклад: ${parts.join(', ')} · важность: ${severities}`));
}

/** "casebook: ok → cached" in Russian, or the text as it came. */
function sourceChange(text) {
  const match = /^\s*([a-z_]+)\s*:\s*([a-z_]+)\s*→\s*([a-z_]+)\s*$/i.exec(text);
  if (!match) return text;
  const [, source, from, to] = match;
  const state = (value) => label('state', 'STATE_' + value.toUpperCase());
  return `${label('source', 'SOURCE_' + source.toUpperCase())}: ${state(from)} → ${state(to)}`;
}

// ---- Feedback ---------------------------------------------------------------------------------------------

function feedbackFormSection(latest, reload) {
  const rating = h('select', {id: 'feedback-rating', name: 'rating', required: true},
    h('option', {value: ''}, '— выберите —'),
    Object.entries(ratings).map(([value, text]) => h('option', {value}, text)));
  const counter = h('span', {class: 'hint'}, 'До 4000 знаков.');
  const comment = h('textarea', {id: 'feedback-comment', name: 'comment', maxlength: 4000, rows: 4});
  comment.addEventListener('input', () => {
    counter.textContent = `${comment.value.length} из 4000 знаков.`;
  });
  const rerun = h('input', {type: 'checkbox', id: 'feedback-rerun', name: 'rerun'});
  const message = h('div', {id: 'feedback-message', 'aria-live': 'polite'});
  const button = h('button', {type: 'submit', class: 'primary'}, 'Отправить отзыв');
  const form = h('form', {id: 'feedback-form'},
    h('p', {class: 'muted'}, `Отзыв на версию ${latest.version} (последнюю) от ${formatTime(latest.created_at_ms)}.`),
    field('Оценка', rating),
    field('Комментарий', comment, counter),
    h('div', {class: 'check'}, rerun, h('label', {for: 'feedback-rerun'}, 'Перезапустить анализ с учётом отзыва')),
    button, message);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.replaceChildren();
    if (!rating.value) {
      message.append(notice('error', 'Выберите оценку.'));
      rating.focus();
      return;
    }
    button.disabled = true;
    try {
      const answer = await api('POST', '/feedback', {
        feedback: {report_id: latest.id, rating: rating.value, comment: comment.value.trim(), rerun: rerun.checked},
      });
      const job = answer?.rerun_job;
      message.append(notice('info', 'Отзыв сохранён.',
        job?.id ? [' ', h('a', {id: 'rerun-link', href: `/jobs/${encodeURIComponent(job.id)}`}, 'Следить за повторным анализом')] : null));
      form.reset();
      counter.textContent = 'До 4000 знаков.';
      await reload();
    } catch (error) {
      message.append(notice('error', errorText(error)));
    } finally {
      button.disabled = false;
    }
  });
  return section('feedback-form-section', 'Оставить отзыв', form);
}

function feedbackListSection(threadId, byId) {
  const list = h('ul', {id: 'feedback-list', class: 'feedback-list'});
  const status = h('div', {'aria-live': 'polite'});
  const more = h('button', {type: 'button', id: 'feedback-more'}, 'Показать ещё');
  const moreSlot = h('div', {class: 'more'});
  let cursor = '';

  async function load(continuing) {
    status.replaceChildren();
    more.disabled = true;
    try {
      const path = `/threads/${encodeURIComponent(threadId)}/feedback?page.page_size=50` + (continuing && cursor ? '&page.cursor=' + encodeURIComponent(cursor) : '');
      const answer = await get(path);
      const items = (answer?.feedback ?? []).map((item) => feedbackItem(item, byId));
      if (continuing) list.append(...items);
      else list.replaceChildren(...items);
      cursor = answer?.page?.next_cursor ?? '';
      moreSlot.replaceChildren(...(cursor ? [more] : []));
      if (!list.children.length) status.append(h('p', {class: 'muted', id: 'feedback-empty'}, 'Отзывов пока нет.'));
    } catch (error) {
      status.append(notice('error', errorText(error)));
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', () => load(true));
  return {element: section('feedback-history', 'Отзывы', list, status, moreSlot), reload: () => load(false)};
}

function feedbackItem(item, byId) {
  const report = byId.get(item.report_id);
  const rating = item.rating ?? 'FEEDBACK_RATING_UNSPECIFIED';
  return h('li', {'data-feedback': item.id},
    h('div', {class: 'feedback-head'},
      h('span', {class: 'rating rating-' + rating.replace('FEEDBACK_RATING_', '').toLowerCase()}, ratings[rating] ?? 'Без оценки'),
      ' · ', h('time', {datetime: new Date(Number(item.created_at_ms) || 0).toISOString()}, formatTime(item.created_at_ms)),
      ' · ', report
        ? h('a', {href: `/reports/${encodeURIComponent(report.id)}`}, `к версии ${report.version}`)
        : h('span', {}, `к отчёту ${item.report_id}`),
      item.rerun ? [' · ', h('span', {class: 'rerun'}, 'с перезапуском'),
        item.rerun_job_id ? [' (', h('a', {href: `/jobs/${encodeURIComponent(item.rerun_job_id)}`}, 'задание'), ')'] : null] : null,
      item.author ? h('span', {class: 'muted'}, ` · ключ ${item.author}`) : null),
    item.comment ? h('p', {class: 'feedback-comment'}, item.comment) : null,
    item.focus_areas?.length ? h('p', {class: 'muted'}, 'Проверить: ' + item.focus_areas.join(', ')) : null,
    item.issue_tags?.length ? h('p', {class: 'muted'}, 'Замечания: ' + item.issue_tags.join(', ')) : null);
}
