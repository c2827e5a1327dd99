// 短信: the messages sent to customers (booked, rescheduled, running late, signing link), newest first,
// with the phone masked, the delivery status and attempts, and the order each was about. Filter by
// order number and status; an order's number shows only that order's messages. Reading only.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { getLang, t } from '../i18n.js';
import { reasonOf } from './reason.js';

const STATUSES = ['queued', 'recorded', 'sent', 'failed'];
const PAGE_SIZE = 50;

function when(iso) {
  return iso ? new Date(iso).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }) : '';
}

/** The list of messages to customers, with filters by order and status. */
export function Messages({ api }) {
  const [order, setOrder] = useState(''); // as typed
  const [status, setStatus] = useState('');
  const [filters, setFilters] = useState({ order: '', status: '' }); // as applied
  const [items, setItems] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    const query = new URLSearchParams({ page_size: String(PAGE_SIZE) });
    if (filters.order) query.set('work_order_number', filters.order);
    if (filters.status) query.set('status', filters.status);
    api(`/api/v1/messages?${query}`).then((r) => {
      setError(r.ok ? null : reasonOf(r));
      setItems(r.ok ? r.body : []);
    });
  }, [filters]);
  const apply = (e) => {
    e.preventDefault();
    setFilters({ order: order.trim(), status });
  };
  const onlyOrder = (number) => {
    setOrder(number);
    setFilters({ order: number, status });
  };
  const clear = () => {
    setOrder('');
    setStatus('');
    setFilters({ order: '', status: '' });
  };
  return html`<section class="panel" aria-labelledby="msg-h">
    <h2 id="msg-h">${t('msgTitle')}</h2>
    <form class="row" role="search" aria-label=${t('msgFilters')} onSubmit=${apply}>
      <label class="field narrow">${t('msgOrder')}<input name="work_order_number" value=${order} placeholder="WO-" onInput=${(e) => setOrder(e.target.value)} /></label>
      <label class="field narrow">${t('msgStatus')}<select name="status" value=${status} onChange=${(e) => setStatus(e.target.value)}>
        <option value="">${t('msgAllStatuses')}</option>
        ${STATUSES.map((s) => html`<option value=${s}>${t(`msgStatus_${s}`)}</option>`)}</select></label>
      <button class="primary" type="submit">${t('msgApply')}</button>
      <button type="button" onClick=${clear}>${t('msgClear')}</button>
    </form>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${items && (items.length === 0 ? html`<p class="muted">${t('msgNone')}</p>` : html`<table class="messages">
      <thead><tr><th>${t('msgAt')}</th><th>${t('msgTemplate')}</th><th>${t('msgPhone')}</th><th>${t('msgStatus')}</th><th>${t('msgOrder')}</th></tr></thead>
      <tbody>${items.map((m) => html`<tr class=${`msg-${m.status}`}>
        <td>${when(m.created_at)}</td>
        <td title=${m.text}>${t(`msgKind_${m.kind}`)}</td>
        <td>${m.to_phone_masked}</td>
        <td><span class=${`badge ${m.status === 'failed' ? 'bad' : ''}`}>${t(`msgStatus_${m.status}`)}</span>
          ${' '}${t('msgAttempts', { n: m.attempts })}${m.sent_at ? ` · ${when(m.sent_at)}` : ''}
          ${m.last_error && html`<div class="muted">${m.last_error}</div>`}</td>
        <td>${m.work_order_number ? html`<button class="link" aria-label=${t('msgOnlyOrder', { number: m.work_order_number })}
          onClick=${() => onlyOrder(m.work_order_number)}>${m.work_order_number}</button>` : '—'}</td></tr>`)}
      </tbody></table>`)}
  </section>`;
}
