// One work order behind a figure, as the API already tells it (GET /work-orders/{id}, whose
// `visit` carries the compliance record and audit events, and /forms): what happened when, which
// rules of the standard were checked and how, and the sealed forms to open.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { getLang, t } from '../../i18n.js';
import { reasonOf } from '../reason.js';
import { saveBlob } from './table.js';

function when(iso) {
  return iso ? new Date(iso).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }) : '—';
}

// The compliance record gives each rule a status (verified by the server, attested by the
// technician, missed, not applicable); older records say only passed or not, which the server
// itself checked.
function ruleStatus(check) {
  return check.status || (check.passed ? 'verified' : 'missed');
}

/** A rule's or an event's name in words; an id the strings do not know yet is shown as it is. */
export function named(prefix, id) {
  const key = `${prefix}_${id.replace(/\./g, '_')}`;
  const text = t(key);
  return text === key ? id : text;
}

/**
 * The order's timeline: status changes and the visit's audit events in the order they happened.
 * A visit's events are placed at the phone's time (when the technician did it, often offline),
 * with the time the server received them when that differs; a run of the same event (eleven
 * checklist answers) is one line with its count.
 */
export function timelineOf(order) {
  const items = (order.history || []).map((h) => ({ at: h.at, what: h.from_status ? `${t(`status_${h.from_status}`)} → ${t(`status_${h.to_status}`)}` : t(`status_${h.to_status}`), who: h.actor_name, note: h.reason || '' }));
  for (const e of order.visit?.events || []) {
    const at = e.client_at || e.server_at;
    items.push({ at, type: e.type, what: named('event', e.type), who: e.actor?.name, note: e.server_at && at !== e.server_at ? `${t('syncedAt')} ${when(e.server_at)}` : '', n: 1 });
  }
  items.sort((a, b) => new Date(a.at) - new Date(b.at));
  const runs = [];
  for (const item of items) {
    const last = runs[runs.length - 1];
    if (item.type && last?.type === item.type && last.who === item.who) last.n += 1;
    else runs.push(item);
  }
  return runs.map((r) => (r.n > 1 ? { ...r, what: `${r.what} ×${r.n}` } : r));
}

// One visit's compliance record; an order can have several visits (no access, then a revisit),
// and the one the figure counted is marked.
function Compliance({ visit, n, counted }) {
  const c = visit.compliance;
  return html`<h3>${t('complianceRecord')} · ${t('visitN', { n })}${visit.outcome ? ` · ${t(`outcome_${visit.outcome}`)}` : ''}${c?.score != null ? ` · ${t('score')} ${c.score}` : ''}
      ${counted && html` <span class="badge">${t('countedHere')}</span>`}</h3>
    ${c?.rules?.length ? html`<table class="compliance"><thead><tr><th scope="col">${t('rule')}</th><th scope="col">${t('ruleStatus')}</th><th scope="col">${t('checkedAt')}</th></tr></thead>
      <tbody>${c.rules.map((r) => html`<tr class=${`st-${ruleStatus(r)}`}><th scope="row">${r.label ? (r.label[getLang()] || r.label.zh) : named('rule', r.rule)}</th>
        <td>${t(`rulestatus_${ruleStatus(r)}`)}</td><td>${when(r.checked_at)}</td></tr>`)}</tbody></table>` : html`<p class="muted">—</p>`}`;
}

/** The order detail, shown beside the drill-down; `visitId` is the visit the figure counted. */
export function OrderDetail({ id, visitId, api, file, onClose }) {
  const [order, setOrder] = useState(null);
  const [forms, setForms] = useState([]);
  const [error, setError] = useState(null);
  useEffect(() => {
    setOrder(null);
    api(`/api/v1/work-orders/${id}`).then((r) => (r.ok ? setOrder(r.body) : setError(reasonOf(r))));
    api(`/api/v1/work-orders/${id}/forms`).then((r) => r.ok && setForms(r.body.filter((f) => f.current)));
  }, [id]);
  // The forms need the bearer token, so they are fetched and handed to the browser as a file.
  const openForm = async (form) => {
    const res = await file(`/api/v1/work-orders/${id}/forms/${form.kind}.pdf`);
    if (!res.ok) return setError(`HTTP ${res.status}`);
    saveBlob(await res.blob(), `${form.number || order.number}-${form.kind}.pdf`);
  };
  if (error) return html`<section class="panel"><p class="error" role="alert">${error}</p></section>`;
  if (!order) return html`<section class="panel muted">${t('searching')}</section>`;
  const visits = order.visit?.visits || [];
  return html`<section class="panel orderdetail" aria-labelledby="order-h">
    <div class="row"><h2 id="order-h">${order.number} · ${t(`status_${order.status}`)}</h2><span class="spacer"></span>
      <button type="button" onClick=${onClose}>${t('close')}</button></div>
    <p class="muted">${order.customer?.name || ''} · ${order.address} · ${order.technician?.name || '—'} · ${order.description}</p>
    <h3>${t('timeline')}</h3>
    <ol class="timeline">${timelineOf(order).map((item) => html`<li><time>${when(item.at)}</time> ${item.what}
      ${item.who ? html` · <span class="muted">${item.who}</span>` : ''}${item.note ? html` <span class="muted">(${item.note})</span>` : ''}</li>`)}</ol>
    ${visits.length === 0 ? html`<h3>${t('complianceRecord')}</h3><p class="muted">${t('noVisit')}</p>`
      : visits.map((v, i) => html`<${Compliance} visit=${v} n=${i + 1} counted=${v.id === visitId} />`)}
    <h3>${t('sealedForms')}</h3>
    ${forms.length === 0 ? html`<p class="muted">${t('noForms')}</p>` : html`<ul class="forms">${forms.map((f) => html`<li>
      <button type="button" onClick=${() => openForm(f)}>${t(`form_${f.kind}`)} ${f.number || ''} (PDF)</button>
      <span class="muted"> ${t('sealedAt')} ${when(f.sealed_at)} · SHA-256 ${f.sha256.slice(0, 12)}…</span>
      <a href=${f.verify_url} target="_blank" rel="noopener">${t('verifyForm')}</a></li>`)}</ul>`}
  </section>`;
}
