// Building the page: every value from the API becomes a text node or an attribute, never HTML, so a
// company called <script> is shown as those characters.

/** An element: h('a', {href: '/x', class: 'c', onclick: f}, 'text', child, [more]). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name === 'href' || name === 'src') element.setAttribute(name, safeUrl(value));
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(element, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** An SVG element (the gauge, the chart). */
export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children.flat(Infinity)) if (child != null) element.append(child instanceof Node ? child : String(child));
  return element;
}

/** Links go to this page's parts, this site's paths or http(s) pages; anything else (javascript:, data:,
 * another site through `//` or `/\\`) becomes '#'. */
export function safeUrl(value) {
  const text = String(value ?? '');
  if (text.startsWith('#')) return text;
  try {
    const url = new URL(text, location.origin);
    if (text.startsWith('/')) return url.origin === location.origin ? url.pathname + url.search + url.hash : '#';
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : '#';
  } catch {
    return '#';
  }
}

/** An outside link: opens in a new tab without giving it this window. */
export function external(url, text) {
  return h('a', {href: url, target: '_blank', rel: 'noopener noreferrer'}, text ?? url);
}

export function clear(element) {
  element.replaceChildren();
  return element;
}

const dateTime = new Intl.DateTimeFormat('ru-RU', {dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Moscow'});
const dateOnly = new Intl.DateTimeFormat('ru-RU', {dateStyle: 'medium', timeZone: 'Europe/Moscow'});
const money = new Intl.NumberFormat('ru-RU', {maximumFractionDigits: 0});

/** Milliseconds since 1970 as Moscow time; 0 is "—". */
export function formatTime(milliseconds) {
  const value = Number(milliseconds);
  return value ? dateTime.format(new Date(value)) + ' МСК' : '—';
}

export function formatDate(text) {
  if (!text) return '—';
  const date = new Date(text);
  return isNaN(date) ? text : dateOnly.format(date);
}

/** Kopecks as roubles. */
export function formatRoubles(kopecks) {
  const value = Number(kopecks ?? 0);
  return value ? money.format(value / 100) + ' ₽' : '—';
}

const decimal = new Intl.NumberFormat('ru-RU', {maximumFractionDigits: 1});

/** A number with one decimal at most, Russian style: 17,5. */
export function formatNumber(value) {
  return decimal.format(Number(value ?? 0));
}

/** A risk score as the PDF writes it (one decimal at most); none for a company with too little data. */
export function formatScore(score, level) {
  return level === 'RISK_LEVEL_INSUFFICIENT_DATA' ? 'не рассчитан' : formatNumber(score);
}

export function percent(fraction) {
  return Math.round(Number(fraction ?? 0) * 100) + ' %';
}

/** A section with a heading; its id makes it reachable from the page's contents. */
export function section(id, title, ...children) {
  return h('section', {class: 'card', id, 'aria-labelledby': id + '-title'}, h('h2', {id: id + '-title'}, title), ...children);
}

/** A notice: 'warning' for data that is missing or incomplete, 'error' for failures. */
export function notice(kind, ...children) {
  return h('div', {class: 'notice ' + kind, role: kind === 'error' ? 'alert' : 'status'}, ...children);
}

/** A table; rows are arrays of cells (strings or nodes). */
export function table(headers, rows, attributes = {}) {
  return h('div', {class: 'table-wrap'}, h('table', attributes,
    h('thead', {}, h('tr', {}, headers.map((header) => h('th', {scope: 'col'}, header)))),
    h('tbody', {}, rows.map((row) => h('tr', {}, row.map((cell) => h('td', {}, cell)))))));
}

/** A labelled form field. */
export function field(label, input, hint) {
  const id = input.id || (input.id = 'f-' + Math.random().toString(36).slice(2, 9));
  const parts = [h('label', {for: id}, label), input];
  if (hint) {
    hint.id = id + '-hint';
    input.setAttribute('aria-describedby', hint.id);
    parts.push(hint);
  }
  return h('div', {class: 'field'}, parts);
}
