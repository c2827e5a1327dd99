// The office console: sign in, then each role's screens. A client of the same /api/v1 as the app.
import { render } from 'preact';
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { HOME_OF_ROLE, apiFetch, apiJson, keepOfficeSession, officeSession, rememberHome } from '../http.js';
import { addStrings, setLang, t } from '../i18n.js';
import { CONSOLE_STRINGS } from './strings.js';
import { Intake } from './intake.js';
import { Live } from './live.js';
import { Board } from './board.js';
import { Returns } from './returns.js';
import { Cases } from './cases.js';
import { Messages } from './messages.js';
import './console.css';

addStrings(CONSOLE_STRINGS);

function Login({ onSession }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    const r = await apiJson('/api/v1/auth/login', { method: 'POST', body: { username, password } });
    if (r.status === 0) return setError(t('loginOffline'));
    if (!r.ok) return setError(t('loginFailed'));
    rememberHome(r.body.user.role);
    if (HOME_OF_ROLE[r.body.user.role] !== '/console/') return location.assign(HOME_OF_ROLE[r.body.user.role]);
    const session = { token: r.body.token, user: r.body.user };
    keepOfficeSession(session);
    onSession(session);
  };
  return html`<form class="panel login" onSubmit=${submit}>
    <h2>${t('console')}</h2>
    <label>${t('username')}<input name="username" autocomplete="username" value=${username} onInput=${(e) => setUsername(e.target.value)} required /></label>
    <label>${t('password')}<input name="password" type="password" autocomplete="current-password" value=${password} onInput=${(e) => setPassword(e.target.value)} required /></label>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <button class="primary" type="submit">${t('login')}</button>
  </form>`;
}

// The manager's view carries the chart library (most of the console's weight): it is loaded when
// first opened, so the call centre's screens start without it.
function Reports(props) {
  const [screen, setScreen] = useState(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    import('./reports/manager.js').then((m) => setScreen(() => m.Reports), () => setFailed(true));
  }, []);
  if (failed) return html`<p class="panel error" role="alert">${t('offline')}</p>`;
  return screen ? html`<${screen} ...${props} />` : html`<p class="panel muted">${t('searching')}</p>`;
}

const SCREENS = { intake: Intake, board: Board, live: Live, returns: Returns, cases: Cases, messages: Messages, reports: Reports };
// Where each office role starts: the call centre at the phone, the manager at the figures.
const FIRST_SCREEN = { manager: 'reports' };

function screenFromHash(role) {
  const name = (globalThis.location?.hash || '').slice(1);
  return name in SCREENS ? name : FIRST_SCREEN[role] || 'intake';
}

function Console() {
  const [session, setSession] = useState(officeSession);
  const [screen, setScreen] = useState(() => screenFromHash(session?.user.role));
  useEffect(() => {
    const follow = () => setScreen(screenFromHash(session?.user.role));
    addEventListener('hashchange', follow);
    setScreen(screenFromHash(session?.user.role));
    return () => removeEventListener('hashchange', follow);
  }, [session]);
  const [, redraw] = useState(0);
  const [lang, setLanguage] = useState('zh');
  const switchLang = () => {
    const next = lang === 'zh' ? 'en' : 'zh';
    setLang(next);
    setLanguage(next);
    redraw((n) => n + 1);
  };
  const logout = () => {
    keepOfficeSession(null);
    setSession(null);
  };
  // A token that expired or was revoked sends the person back to sign in, keeping nothing stale.
  const api = async (path, options = {}) => {
    const r = await apiJson(path, { ...options, token: session.token });
    if (r.status === 401) logout();
    return r;
  };
  // Files (PDF, XLSX) need the same token, and come back as bytes rather than JSON.
  const file = async (path) => {
    const res = await apiFetch(path, { token: session.token }).catch(() => ({ ok: false, status: 0 }));
    if (res.status === 401) logout();
    return res;
  };
  if (session && HOME_OF_ROLE[session.user.role] !== '/console/') {
    location.replace(HOME_OF_ROLE[session.user.role]);
    return html`<p class="panel">${t('technicianElsewhere')}</p>`;
  }
  return html`
    <header class="bar">
      <h1>${t('console')}</h1>
      ${session && html`<nav aria-label=${t('console')}>${Object.keys(SCREENS).map((name) => html`<a href=${`#${name}`}
        class=${name === screen ? 'current' : ''} aria-current=${name === screen ? 'page' : undefined}>${t(name)}</a>`)}</nav>`}
      <span class="spacer"></span>
      ${session && html`<span>${t('loggedInAs')}: ${session.user.name} (${session.user.employee_no || session.user.username})</span>`}
      <button class="link" onClick=${switchLang}>${t('lang')}</button>
      ${session && html`<button class="link" onClick=${logout}>${t('logout')}</button>`}
    </header>
    <main>${session ? html`<${SCREENS[screen]} key=${`${screen}-${lang}`} user=${session.user} api=${api} file=${file} />`
      : html`<${Login} onSession=${setSession} />`}</main>`;
}

render(html`<${Console} />`, document.getElementById('console'));
