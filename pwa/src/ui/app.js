// App frame: login, agenda, sync indicator, refused actions, update banner.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { greetingAt, outboxSummary, visitProgress } from '../flow.js';
import { L, nextStepFor, t } from '../i18n.js';
import { discardOp, retryOp } from '../outbox.js';
import { go, login, logout, reload, store, switchLang, syncNow, useStore } from '../store.js';

export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleTimeString(store.state.lang === 'zh' ? 'zh-CN' : 'en-GB', { hour: '2-digit', minute: '2-digit' });
}

/** Format a time with its date, e.g. 12月4日周五 10:00. */
export function fmtDayTime(iso) {
  const d = new Date(iso);
  const day = d.toLocaleDateString(store.state.lang === 'zh' ? 'zh-CN' : 'en-GB', { month: 'long', day: 'numeric', weekday: 'short' });
  return `${day} ${fmtTime(iso)}`;
}

function fmtDateTime(iso) {
  if (!iso) return t('never');
  const d = new Date(iso);
  if (d.toDateString() === new Date().toDateString()) return fmtTime(iso);
  return `${d.getMonth() + 1}/${d.getDate()} ${fmtTime(iso)}`;
}

/** The greeting to open a call with right now, re-read every few seconds (it turns at 09:00, on 除夕...). */
export function Greeting({ rules }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(timer);
  }, []);
  const greeting = greetingAt(rules, new Date(now));
  return greeting && html`<span class="greeting" data-testid="greeting" data-greeting=${greeting.id}>${L(greeting)}</span>`;
}

// The visit screens load on first use (they are precached, so this works offline too):
// the agenda paints sooner without them.
let VisitScreen = null;

function Visit(props) {
  const [, loaded] = useState(false);
  if (!VisitScreen) {
    import('./visit.js').then((m) => {
      VisitScreen = m.Visit;
      loaded(true);
    });
    return null;
  }
  return html`<${VisitScreen} ...${props} />`;
}

/** Return the whole app. */
export function App() {
  const s = useStore();
  if (!s.ready) return null;
  return html`
    <header class="top">
      <h1>${t('app')}</h1>
      <button class="link" onClick=${switchLang} aria-label=${t('langName')}>${t('lang')}</button>
      ${s.session && html`<button class="link" onClick=${logout}>${t('logout')}</button>`}
    </header>
    ${s.updateReady && html`<div class="banner" role="status">${t('update')}
      <button onClick=${() => s.updateReady()}>${t('updateNow')}</button></div>`}
    ${!s.session ? html`<${Login} />` : html`
      <${SyncBar} s=${s} />
      ${s.authRequired && html`<${Relogin} />`}
      <${Refused} s=${s} />
      <main>${s.route.name === 'visit' ? html`<${Visit} id=${s.route.id} s=${s} />` : html`<${Agenda} s=${s} />`}</main>`}
  `;
}

function Login({ relogin = false }) {
  const session = store.state.session;
  const [username, setUsername] = useState(session?.user?.username || '');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    const r = await login(username, password);
    setBusy(false);
    setError(r.error || null);
  };
  return html`<form class="card login" onSubmit=${submit}>
    ${relogin && html`<p>${t('reloginNeeded')}</p>`}
    <label>${t('username')}<input name="username" autocomplete="username" value=${username} onInput=${(e) => setUsername(e.target.value)} required /></label>
    <label>${t('password')}<input name="password" type="password" autocomplete="current-password" value=${password} onInput=${(e) => setPassword(e.target.value)} required /></label>
    ${error && html`<p class="error" role="alert">${t(error)}</p>`}
    <button class="primary" type="submit" disabled=${busy}>${relogin ? t('relogin') : t('login')}</button>
  </form>`;
}

function Relogin() {
  return html`<section class="warn" aria-label=${t('relogin')}><${Login} relogin=${true} /></section>`;
}

function SyncBar({ s }) {
  const sum = outboxSummary(s.counts);
  return html`<div class="syncbar" role="status" aria-live="polite">
    <span class=${s.online ? 'dot on' : 'dot off'}>${s.online ? t('online') : t('offline')}</span>
    <span data-testid="queued">${sum.visits ? t('visitsWaiting', { n: sum.visits }) : t('allSynced')}</span>
    ${sum.attention > 0 && html`<span class="badge bad" data-testid="attention">${t('attention', { n: sum.attention })}</span>`}
    <span>${t('lastSync')}: ${fmtDateTime(s.sync.last_success)}</span>
    ${s.sync.last_error && html`<span class="error">${t('lastError')}: ${s.sync.last_error}</span>`}
    <button class="small" onClick=${syncNow} disabled=${s.syncing}>${t('syncNow')}</button>
    <details class="syncdetail"><summary>${t('syncDetail')}</summary>
      <p data-testid="actions-waiting">${t('actionsWaiting', { n: sum.actions })}</p></details>
  </div>`;
}

function Refused({ s }) {
  if (!s.refused.length) return null;
  const order = (id) => s.visits.find((v) => v.work_order.id === id)?.work_order.number || `#${id}`;
  return html`<section class="card refused" aria-label=${t('conflicts')}>
    <h2>${t('conflicts')}</h2>
    ${s.refused.map((op) => html`<div class="refused-op" data-testid="refused">
      <p><strong>${order(op.work_order_id)}</strong> · ${op.type} · ${op.result.status}</p>
      <p class="next">${nextStepFor(op.result)}</p>
      <p class="muted">${op.result.message || op.result.code}</p>
      <div class="row">
        <button onClick=${async () => { await retryOp(store.db, op.seq); await reload(); syncNow(); }}>${t('retry')}</button>
        <button onClick=${async () => { if (confirm(t('discardConfirm'))) { await discardOp(store.db, op.seq); await reload(); } }}>${t('discard')}</button>
      </div>
    </div>`)}
  </section>`;
}

function mapHref(c) {
  if (c.lat != null && c.lng != null) return `geo:${c.lat},${c.lng}?q=${encodeURIComponent(c.address || '')}`;
  return `geo:0,0?q=${encodeURIComponent(c.address || '')}`;
}

function fmtDay(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  return new Date(y, m - 1, d).toLocaleDateString(store.state.lang === 'zh' ? 'zh-CN' : 'en-GB', { month: 'long', day: 'numeric', weekday: 'short' });
}

function Agenda({ s }) {
  const refreshed = s.agendaMeta?.refreshed_at;
  const [today, tomorrow] = s.agendaMeta?.dates || [];
  // Today's and tomorrow's visits apart, each under its own day heading.
  const days = [...new Set(s.visits.map((v) => v.date))].sort();
  const dayName = (d) => (d === today ? t('today') : d === tomorrow ? t('tomorrow') : '');
  return html`<section aria-label=${t('agenda')}>
    <p class="muted" data-testid="refreshed">${t('refreshedAt')}: ${fmtDateTime(refreshed)}</p>
    ${s.visits.length === 0 && html`<p class="card">${t('noVisits')}</p>`}
    ${days.map((day) => html`<section class=${`day ${day === today ? 'today' : 'later'}`} data-testid="day" data-date=${day}
        aria-label=${`${dayName(day)} ${fmtDay(day)}`}>
      <h2 class="dayhead">${dayName(day)} <span>${fmtDay(day)}</span></h2>
      <ol class="agenda">${s.visits.filter((v) => v.date === day).map((v) => html`<${Card} v=${v} s=${s} />`)}</ol>
    </section>`)}
  </section>`;
}

function progressText(p) {
  if (p.done) return p.phoneFixed ? t('phoneFixDone') : p.noAccess ? t('noAccessDone') : t('visitDone');
  return `${t('stepOf', { n: p.index, step: L(p.current.title) })} · ${t('doneOf', { done: p.completed, total: p.total })}`;
}

function Card({ v, s }) {
  const wo = v.work_order;
  const c = v.customer || {};
  const counts = s.counts[wo.id];
  // What the phone did is newer than the server's status until it syncs: show the local progress.
  const progress = visitProgress(s.flows[wo.type], s.local[wo.id]);
  const phone = (c.phones || [])[0];
  return html`<li class="card visit" data-testid="visit" data-order=${wo.number}>
    <button class="open" onClick=${() => go({ name: 'visit', id: wo.id })} aria-label=${`${wo.number} ${c.name}`}>
      <span class="window">${fmtTime(v.appointment?.starts_at)}–${fmtTime(v.appointment?.ends_at)}</span>
      <span class="status" data-testid="progress">${progress ? progressText(progress) : t(`status_${wo.status}`)}</span>
      ${counts?.pending > 0 && html`<span class="badge" data-testid="unsynced">${t('unsynced')}</span>`}
      ${counts?.failed > 0 && html`<span class="badge bad" data-testid="needs-attention">${t('refused')}</span>`}
      <strong class="cust">${c.name}</strong>
      <span class="muted">${wo.number} · ${L({ zh: wo.type === 'install' ? '安装' : '维修', en: wo.type })}</span>
    </button>
    <p>${c.address} <a class="small btnlink" href=${mapHref(c)} aria-label=${`${t('map')}: ${c.address}`}>${t('map')}</a></p>
    ${phone && html`<div class="row"><a class="btnlink" href=${`tel:${phone}`} aria-label=${`${t('call')} ${c.name}`}>${t('call')} ${phone}</a>
      <${Greeting} rules=${s.greetings} /></div>`}
  </li>`;
}
