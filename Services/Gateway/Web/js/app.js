// The web app's frame: who is signed in, the navigation, and which page draws itself in <main>.
// Links inside the app are followed without reloading; the server checked the session before it served this.

import {h, append, clear, notice} from './dom.js';
import {loadSession, currentSession, can, signOut, ApiError} from './api.js';
import {label, loadLabels} from './labels.js';

const routes = [
  {pattern: /^\/$/, role: 'viewer', title: 'Главная', load: () => import('./pages/home.js')},
  {pattern: /^\/sign-in$/, role: null, title: 'Вход', load: () => import('./pages/signin.js')},
  {pattern: /^\/analyses\/new$/, role: 'analyst', title: 'Новый анализ', load: () => import('./pages/analyze.js')},
  {pattern: /^\/jobs\/([^/]+)$/, role: 'viewer', title: 'Ход анализа', load: () => import('./pages/job.js')},
  {pattern: /^\/reports\/([^/]+)$/, role: 'viewer', title: 'Отчёт', load: () => import('./pages/report.js')},
  {pattern: /^\/threads\/([^/]+)$/, role: 'viewer', title: 'История компании', load: () => import('./pages/thread.js')},
  {pattern: /^\/history$/, role: 'viewer', title: 'Архив отчётов', load: () => import('./pages/history.js')},
  {pattern: /^\/admin(?:\/(keys|audit|dead-letters|cache))?$/, role: 'admin', title: 'Администрирование', load: () => import('./pages/admin.js')},
];

const main = document.getElementById('main');
/** What the page on screen wants done when another replaces it (close its event stream). */
let cleanup = null;
/** The path and query of the page on screen. */
let shown = '';

function header() {
  const top = clear(document.getElementById('top'));
  const session = currentSession();
  const links = [['/', 'Главная'], ['/history', 'Архив']];
  if (can('analyst')) links.splice(1, 0, ['/analyses/new', 'Новый анализ']);
  if (can('admin')) links.push(['/admin', 'Администрирование']);
  append(top, [
    h('a', {class: 'brand', href: '/'}, 'Client Analyze'),
    session ? h('nav', {'aria-label': 'Разделы'}, h('ul', {}, links.map(([href, text]) =>
      h('li', {}, h('a', {href, 'aria-current': isCurrent(href) ? 'page' : null}, text))))) : null,
    session ? h('div', {class: 'who'},
      h('span', {title: session.key_id}, `${session.name || session.key_id} · ${label('keyRole', session.role)}`),
      h('button', {type: 'button', class: 'link', id: 'sign-out', onclick: async () => {
        await signOut();
        location.assign('/sign-in');
      }}, 'Выйти')) : null]);
}

function isCurrent(href) {
  return href === '/' ? location.pathname === '/' : location.pathname.startsWith(href);
}

/** Counts page changes: a page that finishes loading after the next one started is dropped. */
let generation = 0;

export async function render() {
  const path = location.pathname;
  shown = path + location.search;
  const mine = ++generation;
  const route = routes.find((candidate) => candidate.pattern.test(path));
  cleanup?.();
  cleanup = null;
  header();
  // Each page draws into a container of its own: one left behind writes only into its detached container.
  const view = h('div', {class: 'view'});
  main.replaceChildren(view);
  const current = () => mine === generation;
  const title = (text) => {
    if (current()) document.title = `${text} · Client Analyze`;
  };
  if (route?.role && !currentSession()) {
    location.assign('/sign-in?next=' + encodeURIComponent(path + location.search));
    return;
  }
  if (!route) {
    title('Страница не найдена');
    view.append(h('h1', {}, 'Страница не найдена'), h('p', {}, h('a', {href: '/'}, 'На главную')));
  } else if (route.role && !can(route.role)) {
    title('Нет доступа');
    view.append(h('h1', {}, 'Нет доступа'),
      notice('error', `Этот раздел доступен с ролью «${label('keyRole', route.role)}»; у вашего ключа роль «${label('keyRole', currentSession().role)}».`));
  } else {
    title(route.title);
    const parameters = path.match(route.pattern).slice(1).map((part) => part && decodeURIComponent(part));
    try {
      const page = await route.load();
      const result = await page.render(view, {parameters, query: new URLSearchParams(location.search), navigate, title, current});
      if (typeof result === 'function') {
        if (current()) cleanup = result; else result();
      }
    } catch (error) {
      if (current()) view.append(notice('error', error instanceof ApiError ? `${error.message} (${error.code})` : `Ошибка страницы: ${error.message}`));
    }
    if (!current()) return;
  }
  // A new page moves focus to its content (screen readers announce it), unless the page chose a field.
  if (!main.contains(document.activeElement)) main.focus({preventScroll: true});
}

/** Goes to a page of the app without a reload. */
export function navigate(path) {
  history.pushState(null, '', path);
  render();
}

document.addEventListener('click', (event) => {
  const link = event.target.closest('a');
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(link.href, location.href);
  if (link.target || link.hasAttribute('download') || url.origin !== location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/assets/')) return;
  // A link within this page (the skip link, a table of contents) is the browser's to follow.
  if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
  event.preventDefault();
  navigate(url.pathname + url.search + url.hash);
});
// Back and forward redraw the page, unless only the fragment changed (a skip link, a table of contents).
window.addEventListener('popstate', () => {
  if (location.pathname + location.search !== shown) render();
});

await Promise.all([loadSession(), loadLabels()]);
render();
