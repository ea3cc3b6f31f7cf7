// Sign-in: an API key exchanged for a session cookie (HttpOnly; the key is not kept in the browser).

import {h, field, notice} from '../dom.js';
import {signIn, safeNext} from '../api.js';

export function render(main, {query}) {
  const key = h('input', {type: 'password', name: 'key', id: 'key', autocomplete: 'current-password', required: true, spellcheck: 'false'});
  const message = h('div', {id: 'sign-in-message', 'aria-live': 'polite'});
  const form = h('form', {class: 'card narrow', id: 'sign-in-form'},
    h('h1', {}, 'Вход'),
    h('p', {class: 'muted'}, 'Войдите с API-ключом (cla_…). Ключ выдаёт администратор; в браузере он не сохраняется.'),
    field('API-ключ', key),
    h('button', {type: 'submit', class: 'primary'}, 'Войти'),
    message);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.replaceChildren();
    try {
      await signIn(key.value.trim());
      location.assign(safeNext(query.get('next')));
    } catch (error) {
      message.append(notice('error', error.message));
      key.focus();
    }
  });
  main.append(form);
  key.focus();
}
