// 来电受理: answer with the script, find and verify the caller, see their history, open an order,
// guide them by phone, close with the script. The rules (verification, transitions) are the API's.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { totalText } from '../http.js';
import { L, t } from '../i18n.js';
import { reasonOf } from './reason.js';

const SEARCH_DELAY_MS = 250;
const PRIORITIES = ['normal', 'high', 'urgent', 'low'];


function Scripts({ guide }) {
  return html`<section class="panel script" aria-labelledby="answer-h">
    <h2 id="answer-h">${t('answerScript')}</h2>
    <p class="say">${L(guide.answer)}</p>
  </section>`;
}

function Forbidden({ guide }) {
  return html`<section class="panel" aria-labelledby="forbidden-h">
    <h2 id="forbidden-h">${t('forbidden')}</h2>
    <table class="forbidden"><thead><tr><th scope="col">${t('forbidden')}</th><th scope="col">${t('sayInstead')}</th></tr></thead>
      <tbody>${guide.forbidden.map((f) => html`<tr><td><s>${f.say_not}</s></td><td>${f.say}</td></tr>`)}</tbody></table>
    <h3>${t('tipsTitle')}</h3>
    <ul>${guide.tips.map((tip) => html`<li>${L(tip)}</li>`)}</ul>
  </section>`;
}

function Search({ api, onPick }) {
  const [q, setQ] = useState('');
  const [results, setResults] = useState(null);
  const [total, setTotal] = useState(null);
  const timer = useRef(null);
  useEffect(() => {
    clearTimeout(timer.current);
    if (q.trim().length < 2) return setResults(null);
    timer.current = setTimeout(async () => {
      const r = await api(`/api/v1/customers?q=${encodeURIComponent(q.trim())}&page_size=10`);
      setResults(r.ok ? r.body : []);
      // The API counts a broad search only so far, and says so: "1000+".
      setTotal(r.ok ? totalText(r.page) : null);
    }, SEARCH_DELAY_MS);
    return () => clearTimeout(timer.current);
  }, [q]);
  const submit = (e) => {
    e.preventDefault();
    if (results?.length) onPick(results[0]);
  };
  return html`<section class="panel" aria-labelledby="find-h">
    <h2 id="find-h">${t('findCustomer')}</h2>
    <form role="search" onSubmit=${submit}>
      <label class="field">${t('findHint')}
        <input type="search" name="q" autofocus value=${q} onInput=${(e) => setQ(e.target.value)} /></label>
    </form>
    ${results && (results.length === 0 ? html`<p class="muted" role="status">${t('noMatch')}</p>` : html`
      <p class="muted matches">${total && total !== String(results.length)
        ? t('matchesShown', { n: total, shown: results.length }) : t('matches', { n: total ?? results.length })}</p>
      <ul class="results" aria-label=${t('findCustomer')}>${results.map((c) => html`<li>
        <button onClick=${() => onPick(c)}><b>${c.name}${c.title || ''}</b>
          <span>${c.phones.join(' / ')}</span><span>${c.address}</span><span>${c.account_no || ''}</span></button></li>`)}
      </ul>`)}
  </section>`;
}

function Verify({ guide, customer, verified, setVerified }) {
  const shown = { name: `${customer.name}${customer.title ? ` (${customer.title})` : ''}`, phone: customer.phones.join(' / '),
    address: customer.address, account_no: customer.account_no || '—' };
  const toggle = (id) => setVerified({ ...verified, [id]: !verified[id] });
  return html`<fieldset class="panel verify"><legend class="title">${t('verifyTitle')}</legend>
    <p class="muted">${t('verifyHint')}</p>
    ${guide.verify.map((item) => html`<label class="check"><input type="checkbox" name=${`verify_${item.id}`}
      checked=${!!verified[item.id]} onChange=${() => toggle(item.id)} />
      <span>${L(item.label)}：<b>${shown[item.id] ?? ''}</b></span></label>`)}
  </fieldset>`;
}

function History({ history }) {
  if (!history) return null;
  return html`<section class="panel" aria-labelledby="history-h">
    <h2 id="history-h">${t('history')}</h2>
    ${history.open_complaints.length > 0 && html`<div class="warn"><b>${t('openComplaints')}</b><ul>
      ${history.open_complaints.map((c) => html`<li>${c.work_order?.number}: ${c.description}
        ${c.overdue && html` <span class="badge bad">${t('overdue')}</span>`}</li>`)}</ul></div>`}
    ${history.orders.length === 0 ? html`<p class="muted">${t('noHistory')}</p>` : html`
      <table class="history"><tbody>${history.orders.map(({ order, visit_overall, return_visit_satisfaction }) => html`<tr>
        <td>${order.number}</td><td>${order.description}</td><td>${t(`status_${order.status}`)}</td>
        <td>${visit_overall != null && html`${t('satisfaction')} ${visit_overall}/5`}
          ${return_visit_satisfaction != null && html` · ${t('returnVisit')} ${return_visit_satisfaction}/5`}</td></tr>`)}
      </tbody></table>`}
  </section>`;
}

function NewOrder({ guide, customer, allVerified, readOnly, api, onCreated }) {
  const [fault, setFault] = useState(guide.faults[0].id);
  const kind = guide.faults.find((f) => f.id === fault);
  const [type, setType] = useState(kind.order_types[0]);
  const [priority, setPriority] = useState('normal');
  const [description, setDescription] = useState('');
  const [error, setError] = useState(null);
  const pickFault = (id) => {
    setFault(id);
    setType(guide.faults.find((f) => f.id === id).order_types[0]);
  };
  const submit = async (e) => {
    e.preventDefault();
    const body = { customer_id: customer.id, type, priority, fault_kind: fault, description: description.trim() || L(kind.label) };
    const r = await api('/api/v1/work-orders', { method: 'POST', body });
    if (!r.ok) return setError(t('saveFailed', { reason: reasonOf(r) }));
    setError(null);
    onCreated(r.body);
  };
  const blocked = readOnly || !allVerified;
  return html`<form class="panel" aria-labelledby="order-h" onSubmit=${submit}>
    <h2 id="order-h">${t('newOrder')}</h2>
    <div class="row">
      <label class="field">${t('fault')}<select name="fault_kind" value=${fault} onChange=${(e) => pickFault(e.target.value)}>
        ${guide.faults.map((f) => html`<option value=${f.id}>${L(f.label)}</option>`)}</select></label>
      <label class="field">${t('orderType')}<select name="type" value=${type} onChange=${(e) => setType(e.target.value)}>
        ${kind.order_types.map((ot) => html`<option value=${ot}>${L(guide.order_types.find((o) => o.id === ot)?.name) || ot}</option>`)}</select></label>
      <label class="field">${t('priority')}<select name="priority" value=${priority} onChange=${(e) => setPriority(e.target.value)}>
        ${PRIORITIES.map((p) => html`<option value=${p}>${t(`priority_${p}`)}</option>`)}</select></label>
    </div>
    <label class="field">${t('faultDescription')}<textarea name="description" maxlength="2000" value=${description}
      onInput=${(e) => setDescription(e.target.value)}></textarea></label>
    ${!allVerified && !readOnly && html`<p class="muted">${t('verifyFirst')}</p>`}
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <button class="primary" type="submit" disabled=${blocked}>${t('createOrder')}</button>
  </form>`;
}

function Guidance({ guide, order, readOnly, api, onDone }) {
  const kind = guide.faults.find((f) => f.id === order.fault_kind) || { guidance: [] };
  const [done, setDone] = useState({});
  const [notes, setNotes] = useState('');
  const [error, setError] = useState(null);
  const record = async (resolved) => {
    const tried = kind.guidance.filter((_, i) => done[i]).map((step) => L(step));
    const text = [tried.length ? `${t('guidanceTitle')}: ${tried.join('；')}` : '', notes.trim()].filter(Boolean).join('\n');
    const r = await api(`/api/v1/work-orders/${order.id}/phone-guidance`, {
      method: 'POST', body: { customer_verified: true, resolved, notes: text } });
    if (!r.ok) return setError(t('saveFailed', { reason: reasonOf(r) }));
    onDone(r.body);
  };
  return html`<section class="panel" aria-labelledby="guidance-h">
    <h2 id="guidance-h" tabindex="-1">${t('guidanceTitle')} · ${t('orderCreated', { number: order.number })}</h2>
    ${kind.guidance.length === 0 ? html`<p class="muted">${t('noGuidance')}</p>` : html`
      <p class="muted">${t('guidanceHint')}</p>
      <ol class="guidance">${kind.guidance.map((step, i) => html`<li><label class="check">
        <input type="checkbox" name=${`guidance_${i}`} checked=${!!done[i]} onChange=${() => setDone({ ...done, [i]: !done[i] })} />
        <span>${L(step)}</span></label></li>`)}</ol>`}
    <label class="field">${t('guidanceNotes')}<textarea name="guidance_notes" maxlength="1500" value=${notes}
      onInput=${(e) => setNotes(e.target.value)}></textarea></label>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <div class="row">
      <button class="primary" disabled=${readOnly || kind.guidance.length === 0} onClick=${() => record(true)}>${t('resolvedByPhone')}</button>
      <button disabled=${readOnly} onClick=${() => record(false)}>${t('needsVisit')}</button>
    </div>
  </section>`;
}

function Closing({ guide, onNext }) {
  return html`<section class="panel script" aria-labelledby="closing-h">
    <h2 id="closing-h">${t('closingScript')}</h2>
    ${guide.closing.map((line) => html`<p class="say">${L(line)}</p>`)}
    <button onClick=${onNext}>${t('newCall')}</button>
  </section>`;
}

/** The intake screen for one call at a time. */
export function Intake({ user, api }) {
  const [guide, setGuide] = useState(null);
  const [customer, setCustomer] = useState(null);
  const [history, setHistory] = useState(null);
  const [verified, setVerified] = useState({});
  const [order, setOrder] = useState(null);
  const [outcome, setOutcome] = useState(null);
  const [call, setCall] = useState(0);
  const readOnly = user.role === 'manager';
  useEffect(() => {
    api('/api/v1/call-centre/guide').then((r) => r.ok && setGuide(r.body));
  }, []);
  const pick = async (c) => {
    setCustomer(c);
    setVerified({});
    const r = await api(`/api/v1/customers/${c.id}/history`);
    setHistory(r.ok ? r.body : null);
  };
  const nextCall = () => {
    setCustomer(null);
    setHistory(null);
    setVerified({});
    setOrder(null);
    setOutcome(null);
    setCall(call + 1);
  };
  const finished = (detail) => {
    setOutcome(detail);
    api(`/api/v1/customers/${detail.customer_id}/history`).then((r) => r.ok && setHistory(r.body));
  };
  if (!guide) return null;
  const allVerified = guide.verify.every((item) => verified[item.id]);
  return html`<div class="intake" key=${call}>
    ${readOnly && html`<p class="warn" role="note">${t('readOnly')}</p>`}
    <div class="columns">
      <div>
        <${Scripts} guide=${guide} />
        <${Search} api=${api} onPick=${pick} />
        ${customer && html`<${Verify} guide=${guide} customer=${customer} verified=${verified} setVerified=${setVerified} />`}
        ${customer && !order && html`<${NewOrder} guide=${guide} customer=${customer} allVerified=${allVerified}
          readOnly=${readOnly} api=${api} onCreated=${setOrder} />`}
        ${order && !outcome && html`<${Guidance} guide=${guide} order=${order} readOnly=${readOnly} api=${api} onDone=${finished} />`}
        ${outcome && html`<p class="panel ok" role="status">${t(outcome.status === 'resolved_by_phone' ? 'closedByPhone' : 'waitingBooking', { number: outcome.number })}</p>`}
        <${Closing} guide=${guide} onNext=${nextCall} />
      </div>
      <div>
        <${History} history=${history} />
        <${Forbidden} guide=${guide} />
      </div>
    </div>
  </div>`;
}
