// The one API client of both front-ends: JSON in and out, the bearer token, the one error shape.

/** Fetch an /api/v1 path with JSON headers and, when given, the bearer token. */
export function apiFetch(path, { token, headers = {}, ...init } = {}) {
  const all = { 'Content-Type': 'application/json', ...headers };
  if (token) all.Authorization = `Bearer ${token}`;
  return fetch(path, { ...init, headers: all });
}

/**
 * Fetch and parse: {ok, status, body}, and `page` for a paged list (its X-Pagination: total,
 * pages, and total_capped when a broad search stopped counting); a network failure is {ok: false, status: 0}.
 */
export async function apiJson(path, options = {}) {
  let res;
  try {
    res = await apiFetch(path, { ...options, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  } catch {
    return { ok: false, status: 0, body: null };
  }
  const body = res.headers.get('Content-Type')?.includes('json') ? await res.json().catch(() => null) : null;
  return { ok: res.ok, status: res.status, body, page: pageOf(res.headers.get('X-Pagination')) };
}

function pageOf(header) {
  try {
    return header ? JSON.parse(header) : undefined;
  } catch {
    return undefined;
  }
}

/** A paged list's total as the office reads it: "1000+" when more match than were counted. */
export function totalText(page) {
  if (!page || typeof page.total !== 'number') return null;
  return page.total_capped ? `${page.total}+` : String(page.total);
}

// Where each role works: the technician's phone app or the office console.
export const HOME_OF_ROLE = { technician: '/app/', dispatcher: '/console/', manager: '/console/', admin: '/console/' };
const HOME_KEY = 'doorstep.home';

/** Remember where the person who just signed in works, so / sends them there next time. */
export function rememberHome(role) {
  try {
    globalThis.localStorage?.setItem(HOME_KEY, HOME_OF_ROLE[role] || '/app/');
  } catch {
    // Without localStorage, / falls back to the technician app.
  }
}

/** Return the remembered home, or the technician app. */
export function rememberedHome() {
  try {
    return globalThis.localStorage?.getItem(HOME_KEY) || '/app/';
  } catch {
    return '/app/';
  }
}

const OFFICE_SESSION_KEY = 'doorstep.console.session';

/** Keep the console's session for this browser tab only (a shared office desktop forgets it on close). */
export function keepOfficeSession(session) {
  if (session) globalThis.sessionStorage?.setItem(OFFICE_SESSION_KEY, JSON.stringify(session));
  else globalThis.sessionStorage?.removeItem(OFFICE_SESSION_KEY);
}

/** Return the console's session of this tab, or null. */
export function officeSession() {
  try {
    return JSON.parse(globalThis.sessionStorage?.getItem(OFFICE_SESSION_KEY) || 'null');
  } catch {
    return null;
  }
}
