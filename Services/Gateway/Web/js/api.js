// Calls of the REST API with the session cookie; a change carries the session's CSRF token. The API checks
// the key behind the session as it does for any client, so the pages can do what the key may and no more.

let session = null;

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Who is signed in ({key_id, name, role, csrf_token, expires_at_ms}), or null. */
export async function loadSession() {
  const response = await fetch('/web/session', {credentials: 'same-origin', headers: {accept: 'application/json'}});
  session = response.status === 200 ? await response.json() : null;
  return session;
}

export function currentSession() {
  return session;
}

const ranks = {viewer: 1, analyst: 2, admin: 3};

/** Whether the signed-in key has at least this role. */
export function can(role) {
  return (ranks[session?.role] ?? 0) >= ranks[role];
}

export async function signIn(key) {
  const response = await fetch('/web/session', {
    method: 'POST', credentials: 'same-origin',
    headers: {'content-type': 'application/json', accept: 'application/json'}, body: JSON.stringify({key}),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, '', body.error || 'Не удалось войти');
  session = body;
  return body;
}

export async function signOut() {
  await fetch('/web/session', {method: 'DELETE', credentials: 'same-origin', headers: {'x-csrf-token': session?.csrf_token ?? ''}});
  session = null;
}

/** A JSON call of /api/v1; errors are ApiError with the API's code and message. */
export async function api(method, path, body) {
  const headers = {accept: 'application/json'};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && session) headers['x-csrf-token'] = session.csrf_token;
  const response = await fetch('/api/v1' + path, {
    method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    location.assign('/sign-in?next=' + encodeURIComponent(location.pathname + location.search));
    throw new ApiError(401, 'UNAUTHENTICATED', 'Сессия закончилась, войдите снова');
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, data?.error?.code ?? String(response.status), data?.error?.message ?? text ?? response.statusText);
  }
  return data;
}

export const get = (path) => api('GET', path);

/** An error as a sentence for a notice: the API's message with its code. */
export function errorText(error) {
  return error instanceof ApiError && error.code ? `${error.message} (${error.code})` : error.message;
}

/** Where to go after signing in: a path of this site, never another (`//evil`, `/\\evil`, `/<tab>/evil`). */
export function safeNext(next) {
  if (!next || !next.startsWith('/') || /[\u0000-\u001f\u007f]/.test(next) || next[1] === '/' || next[1] === '\\') return '/';
  const url = new URL(next, location.origin);
  return url.origin === location.origin ? url.pathname + url.search + url.hash : '/';
}

/** A query string from an object, skipping empty values; arrays repeat the name. */
export function query(parameters) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value === undefined || value === null || value === '') continue;
    for (const item of [value].flat()) search.append(name, String(item));
  }
  const text = search.toString();
  return text ? '?' + text : '';
}

/** Where a document of a report downloads from (the browser sends the cookie). */
export function documentUrl(reportId, format) {
  return `/api/v1/reports/${encodeURIComponent(reportId)}/document?format=${format}`;
}
