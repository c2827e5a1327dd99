// 回访: the queue of completed visits due a return call, and the call sheet with the standard's
// script filled from the record. Unreached calls stay queued for another time (and another agent).
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { L, t } from '../i18n.js';
import { reasonOf } from './reason.js';

const UNREACHED = ['no_answer', 'busy', 'switched_off', 'wrong_number', 'not_convenient'];


function Sheet({ orderId, user, api, onDone }) {
  const [sheet, setSheet] = useState(null);
  const [reached, setReached] = useState(true);
  const [satisfaction, setSatisfaction] = useState(null);
  const [resolved, setResolved] = useState(null);
  const [reason, setReason] = useState('no_answer');
  const [notes, setNotes] = useState('');
  const [error, setError] = useState(null);
  useEffect(() => {
    api(`/api/v1/work-orders/${orderId}/return-visit`).then((r) => r.ok && setSheet(r.body));
  }, [orderId]);
  if (!sheet) return null;
  const last = sheet.calls[sheet.calls.length - 1];
  const sameAgentAgain = last && !last.reached && last.caller?.id === user.id;
  const submit = async (e) => {
    e.preventDefault();
    const body = reached ? { reached, satisfaction, resolved, notes } : { reached, unreached_reason: reason, notes };
    const r = await api(`/api/v1/work-orders/${orderId}/return-visit`, { method: 'POST', body });
    if (!r.ok) return setError(reasonOf(r));
    onDone(r.body);
  };
  return html`<form class="panel" aria-labelledby="sheet-h" onSubmit=${submit}>
    <h2 id="sheet-h">${t('returnSheet')} · ${sheet.work_order.number}</h2>
    <p>${sheet.customer.addressed_as} · ${sheet.customer.phones.join(' / ')} · ${sheet.work_order.description}</p>
    ${sameAgentAgain && html`<p class="warn">${t('anotherAgent')}</p>`}
    <ol class="script">${sheet.script.map((step) => html`<li><b>${L(step.title)}</b><p class="say">${L(step.text)}</p></li>`)}</ol>
    ${sheet.calls.length > 0 && html`<p class="muted">${t('earlierCalls')}: ${sheet.calls.map((c) => `${c.called_at.slice(5, 16).replace('T', ' ')} ${c.caller?.name} ${c.reached ? t('reachedShort') : t(`unreached_${c.unreached_reason}`)}`).join('；')}</p>`}
    <fieldset><legend>${t('callOutcome')}</legend>
      <label class="check"><input type="radio" name="reached" checked=${reached} onChange=${() => setReached(true)} />${t('reachedShort')}</label>
      <label class="check"><input type="radio" name="reached" checked=${!reached} onChange=${() => setReached(false)} />${t('notReached')}</label>
    </fieldset>
    ${reached ? html`<fieldset><legend>${t('satisfaction')} (1–5)</legend><div class="row">
        ${[1, 2, 3, 4, 5].map((n) => html`<label class="check"><input type="radio" name="satisfaction" checked=${satisfaction === n} onChange=${() => setSatisfaction(n)} />${n}</label>`)}</div></fieldset>
      <fieldset><legend>${t('problemSolved')}</legend><div class="row">
        <label class="check"><input type="radio" name="resolved" checked=${resolved === true} onChange=${() => setResolved(true)} />${t('yes')}</label>
        <label class="check"><input type="radio" name="resolved" checked=${resolved === false} onChange=${() => setResolved(false)} />${t('no')}</label></div></fieldset>`
    : html`<label class="field">${t('unreachedReason')}<select name="unreached_reason" value=${reason} onChange=${(e) => setReason(e.target.value)}>
        ${UNREACHED.map((u) => html`<option value=${u}>${t(`unreached_${u}`)}</option>`)}</select></label>`}
    <label class="field">${t('notes')}<textarea name="notes" maxlength="2000" value=${notes} onInput=${(e) => setNotes(e.target.value)}></textarea></label>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <button class="primary" type="submit" disabled=${user.role === 'manager'}>${t('recordCall')}</button>
  </form>`;
}

/** The return-visit queue and the call sheet of the chosen order. */
export function Returns({ user, api }) {
  const [queue, setQueue] = useState(null);
  const [orderId, setOrderId] = useState(null);
  const [notice, setNotice] = useState(null);
  const load = () => api('/api/v1/return-visits?page_size=100').then((r) => r.ok && setQueue(r.body));
  useEffect(() => { load(); }, []);
  const done = (sheet) => {
    const call = sheet.call;
    setNotice(call.reached ? t(call.order_status_after === 'closed' ? 'returnClosed' : 'returnRevisit', { number: sheet.work_order.number })
      : t('returnRetry', { number: sheet.work_order.number }));
    setOrderId(null);
    load();
  };
  if (!queue) return null;
  return html`<div class="columns">
    <section class="panel" aria-labelledby="queue-h">
      <h2 id="queue-h">${t('returnQueue')} (${queue.length})</h2>
      ${notice && html`<p class="ok" role="status">${notice}</p>`}
      ${queue.length === 0 ? html`<p class="muted">${t('nothingDue')}</p>` : html`<table><tbody>${queue.map((entry) => html`<tr>
        <td>${entry.work_order.number}</td><td>${entry.customer.addressed_as}</td><td>${entry.due_on}</td>
        <td>${entry.attempts > 0 ? t('attemptsMade', { n: entry.attempts }) : ''}${entry.follow_up
          && html`<span class="badge" data-testid="follow-up" title=${entry.follow_up.description}>${t('followUpAgreed')}</span>`}</td>
        <td><button onClick=${() => setOrderId(entry.work_order.id)} aria-label=${`${t('callNow')} ${entry.work_order.number}`}>${t('callNow')}</button></td></tr>`)}
      </tbody></table>`}
    </section>
    <div>${orderId && html`<${Sheet} key=${orderId} orderId=${orderId} user=${user} api=${api} onDone=${done} />`}</div>
  </div>`;
}
