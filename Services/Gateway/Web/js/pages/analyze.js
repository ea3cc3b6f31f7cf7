// A new analysis: the INN (or OGRN) checked as it is typed, the client's notes and options; then the job's page.

import {h, field, notice} from '../dom.js';
import {api} from '../api.js';
import {innProblem, ogrnProblem} from '../inn.js';

export function render(main, {query, navigate}) {
  const inn = h('input', {id: 'inn', name: 'inn', inputmode: 'numeric', autocomplete: 'off', required: true, maxlength: 15,
    pattern: '\\d{10}|\\d{12}|\\d{13}|\\d{15}', value: query.get('inn') ?? ''});
  const hint = h('div', {class: 'hint', 'aria-live': 'polite'}, '10 цифр — организация, 12 — ИП; можно ОГРН (13) или ОГРНИП (15)');
  const clientName = h('input', {id: 'client-name', name: 'client_name', maxlength: 500, autocomplete: 'organization'});
  const notes = h('textarea', {id: 'notes', name: 'notes', maxlength: 4000});
  const webSearch = h('input', {type: 'checkbox', id: 'opt-web', checked: true});
  const llm = h('input', {type: 'checkbox', id: 'opt-llm', checked: true});
  const refresh = h('input', {type: 'checkbox', id: 'opt-refresh'});
  const force = h('input', {type: 'checkbox', id: 'opt-force'});
  const message = h('div', {id: 'analyze-message', 'aria-live': 'polite'});
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Начать анализ');

  const check = () => {
    const value = inn.value.trim();
    const problem = !value ? null : value.length === 13 || value.length === 15 ? ogrnProblem(value) : innProblem(value);
    hint.className = 'hint ' + (!value ? '' : problem ? 'bad' : 'good');
    hint.textContent = !value ? '10 цифр — организация, 12 — ИП; можно ОГРН (13) или ОГРНИП (15)'
      : problem ? `Не подходит: ${problem}` : value.length >= 13 ? 'ОГРН корректен' : 'ИНН корректен';
    inn.setAttribute('aria-invalid', problem ? 'true' : 'false');
    return !problem;
  };
  inn.addEventListener('input', check);
  if (inn.value) check();

  const form = h('form', {class: 'card', id: 'analyze-form', novalidate: true},
    h('h1', {}, 'Новый анализ'),
    field('ИНН или ОГРН компании', inn, hint),
    field('Название со слов клиента (необязательно)', clientName),
    field('Примечания (необязательно)', notes),
    h('fieldset', {}, h('legend', {}, 'Параметры'),
      h('label', {class: 'check'}, webSearch, 'Искать упоминания в интернете'),
      h('label', {class: 'check'}, llm, 'Заключение языковой модели (иначе — по шаблону)'),
      h('label', {class: 'check'}, refresh, 'Не брать ответы источников из кэша'),
      h('label', {class: 'check'}, force, 'Новый анализ, даже если такой же уже выполняется')),
    submit, message);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.replaceChildren();
    const value = inn.value.trim();
    if (!value || !check()) {
      message.append(notice('error', value ? hint.textContent : 'Укажите ИНН или ОГРН'));
      inn.focus();
      return;
    }
    const request = {client_name: clientName.value.trim(), notes: notes.value.trim(),
      options: {web_search: webSearch.checked, narrative_llm: llm.checked, force_refresh: refresh.checked}};
    if (value.length >= 13) request.ogrn = value; else request.inn = value;
    submit.disabled = true;
    try {
      const answer = await api('POST', '/analyses', {request, force: force.checked});
      navigate(`/jobs/${encodeURIComponent(answer.job.id)}${answer.created ? '' : '?existing=1'}`);
    } catch (error) {
      message.append(notice('error', error.message));
      submit.disabled = false;
    }
  });
  main.append(h('div', {'data-page': 'analyze'}, form));
  inn.focus();
}
