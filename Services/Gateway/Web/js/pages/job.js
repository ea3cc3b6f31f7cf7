// A job's progress, live from its Server-Sent Events: the stages as they pass and the sources as they answer.

import {h, append, section, notice, formatTime} from '../dom.js';
import {get, api, can} from '../api.js';
import {label, stages, incompleteStates} from '../labels.js';

const ended = new Set(['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_DEAD']);

export async function render(main, {parameters, query}) {
  const id = parameters[0];
  const {job} = await get(`/jobs/${encodeURIComponent(id)}`);
  const root = h('div', {'data-page': 'job', 'data-job': job.id});
  main.append(root);

  const bar = h('progress', {id: 'progress', max: 100, value: job.percent ?? 0, 'aria-labelledby': 'progress-label'});
  const percent = h('span', {id: 'progress-percent'}, `${job.percent ?? 0} %`);
  const status = h('p', {id: 'job-status', 'aria-live': 'polite'}, label('jobState', job.state));
  const stageList = h('ol', {class: 'stages', id: 'stages', 'aria-label': 'Этапы'},
    stages.map((stage) => h('li', {'data-stage': stage}, label('stage', stage))));
  const sourceList = h('ul', {class: 'sources-live', id: 'job-sources', 'aria-live': 'polite'});
  const outcome = h('div', {id: 'job-outcome', 'aria-live': 'polite'});
  const cancel = can('analyst') && !ended.has(job.state)
    ? h('button', {type: 'button', class: 'danger', id: 'cancel-job', onclick: async () => {
      try {
        await api('POST', `/jobs/${encodeURIComponent(job.id)}/cancel`, {reason: 'отменено в веб-приложении'});
      } catch (error) {
        outcome.append(notice('error', error.message));
      }
    }}, 'Отменить') : null;

  append(root, [
    h('h1', {}, `Анализ ИНН ${job.request?.inn || job.request?.ogrn || ''}`),
    query.get('existing') ? notice('info', 'Такой же анализ уже выполнялся — показан он, новый не запускался.') : null,
    section('job-progress', 'Ход анализа',
      h('div', {class: 'row'}, h('span', {id: 'progress-label'}, 'Готовность'), percent), bar, status, stageList, cancel),
    section('job-sources-card', 'Источники', sourceList, h('p', {class: 'muted', id: 'sources-empty'}, 'Ответы источников появятся здесь.')),
    outcome]);

  let current = job.stage;
  const mark = (stage) => {
    current = stage;
    const index = stages.indexOf(stage);
    for (const item of stageList.children) {
      const at = stages.indexOf(item.dataset.stage);
      item.classList.toggle('done', index >= 0 && (at < index || stage === 'STAGE_COMPLETED'));
      item.classList.toggle('current', at === index && stage !== 'STAGE_COMPLETED');
    }
  };
  mark(current);

  const addSource = (source) => {
    root.querySelector('#sources-empty')?.remove();
    const incomplete = incompleteStates.has(source.state);
    const item = h('li', {'data-source': source.source, 'data-state': source.state},
      h('strong', {}, label('source', source.source)), ` (${label('sourceSubject', source.source)}) — `,
      h('span', {class: 'state ' + (incomplete ? 'state-bad' : 'state-ok')}, label('state', source.state)),
      source.items ? `, записей: ${source.items}` : '',
      source.reason ? h('div', {class: 'muted'}, source.reason) : null);
    const existing = sourceList.querySelector(`li[data-source="${CSS.escape(source.source)}"]`);
    if (existing) existing.replaceWith(item); else sourceList.append(item);
  };

  const finish = () => settle().catch((error) => outcome.replaceChildren(notice('error', `Не удалось узнать итог: ${error.message}`)));
  const settle = async () => {
    const {job: done} = await get(`/jobs/${encodeURIComponent(job.id)}`);
    status.textContent = label('jobState', done.state);
    cancel?.remove();
    outcome.replaceChildren();
    if (done.state === 'JOB_STATE_SUCCEEDED' && done.report_id) {
      bar.value = 100;
      percent.textContent = '100 %';
      mark('STAGE_COMPLETED');
      outcome.append(notice('info', 'Отчёт готов. ', h('a', {href: `/reports/${encodeURIComponent(done.report_id)}`, id: 'job-report-link'}, 'Открыть отчёт')));
    } else {
      outcome.append(notice('error', `${label('jobState', done.state)}: ${done.error || 'без пояснения'} (обновлено ${formatTime(done.updated_at_ms)})`));
    }
  };

  // The stream replays the job's progress so far, an ended job's too (its sources fill in), then goes live.
  const events = new EventSource(`/api/v1/jobs/${encodeURIComponent(job.id)}/events`);
  events.addEventListener('progress', (event) => {
    const progress = JSON.parse(event.data);
    bar.value = progress.percent ?? bar.value;
    percent.textContent = `${bar.value} %`;
    if (progress.stage) mark(progress.stage);
    if (progress.message) status.textContent = progress.message;
    if (progress.source) addSource(progress.source);
  });
  events.addEventListener('end', () => {
    events.close();
    finish();
  });
  events.addEventListener('error', (event) => {
    // A named 'error' event is the job's error. A transport error lets EventSource reconnect by itself,
    // unless the server refused it (the session ended): then the job's state is read once more.
    if (event.data || events.readyState === EventSource.CLOSED) {
      events.close();
      finish();
    }
  });
  // Leaving the page stops listening.
  return () => events.close();
}
