// 派工: a day as a timeline (or a week: seven days per row), one row per technician, and a lane of
// orders waiting for a time. Each view is one request (availability with days=1 or 7); D and W switch.
// Book by picking a free window or dragging an order onto one; drag a booked visit to move it
// (who asked and why is asked for). Every action is a button too, so the board works from the keyboard.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { getLang, t } from '../i18n.js';
import { reasonOf } from './reason.js';

const WAITING_STATUSES = ['new', 'needs_revisit', 'no_access'];
const PRIORITY_ORDER = { urgent: 0, high: 1, normal: 2, low: 3 };

function localDay(offset = 0) {
  const d = new Date(Date.now() + offset * 86400000);
  return d.toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
}

function hhmm(iso) {
  return new Date(iso).toLocaleTimeString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Shanghai' });
}

// The local (Asia/Shanghai) day of an instant, as YYYY-MM-DD.
function localDateOf(iso) {
  return new Date(iso).toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
}

// The days from `first` (YYYY-MM-DD), as the week view's columns.
function daysFrom(first, count) {
  const noon = new Date(`${first}T12:00:00+08:00`).getTime();
  return Array.from({ length: count }, (_, i) => localDateOf(new Date(noon + i * 86400000).toISOString()));
}

function weekdayOf(date) {
  return new Date(`${date}T12:00:00+08:00`).toLocaleDateString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { weekday: 'short', timeZone: 'Asia/Shanghai' });
}

const VIEW_DAYS = { day: 1, week: 7 };

// A local wall-clock time on the board's day, as the API takes it (Asia/Shanghai, +08:00).
function onDay(date, time) {
  return `${date}T${time}:00+08:00`;
}


function BookDialog({ plan, day, api, onClose, onBooked, reload }) {
  const [technicianId, setTechnicianId] = useState(plan.technicianId);
  const [start, setStart] = useState(plan.start);
  const [end, setEnd] = useState(plan.end);
  const [requestedBy, setRequestedBy] = useState('customer');
  const [reason, setReason] = useState('');
  const [suggested, setSuggested] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    api(`/api/v1/work-orders/${plan.order.id}/suggested-windows`).then((r) => {
      if (!r.ok) return;
      setSuggested(r.body);
      if (!plan.end) setEnd(addMinutes(plan.start, r.body.visit_minutes));
    });
  }, []);
  const submit = async (e) => {
    e.preventDefault();
    const body = { technician_id: Number(technicianId), starts_at: onDay(plan.date, start), ends_at: onDay(plan.date, end) };
    if (plan.reschedule) Object.assign(body, { requested_by: requestedBy, reason: reason.trim() });
    const r = await api(`/api/v1/work-orders/${plan.order.id}/appointment`, { method: 'POST', body });
    if (r.ok) return onBooked(r.body);
    setError(reasonOf(r));
    if (r.status === 409) reload(); // show the winner; what was typed stays in the dialog
  };
  const pick = (w) => {
    setTechnicianId(w.technician.id);
    plan.date = w.starts_at.slice(0, 10);
    setStart(hhmm(w.starts_at));
    setEnd(hhmm(w.ends_at));
  };
  return html`<div class="dialog" role="dialog" aria-modal="true" aria-labelledby="book-h">
    <form class="panel" onSubmit=${submit}>
      <h2 id="book-h">${plan.reschedule ? t('reschedule') : t('book')} · ${plan.order.number}</h2>
      <p class="muted">${plan.order.description || ''} · ${plan.order.address || ''}</p>
      <label class="field">${t('technician')}<select name="technician_id" value=${technicianId} onChange=${(e) => setTechnicianId(e.target.value)}>
        ${day.technicians.map((row) => html`<option value=${row.technician.id}>${row.technician.name}</option>`)}</select></label>
      <div class="row">
        <label class="field">${t('startsAt')} (${plan.date})<input type="time" name="starts_at" step="900" value=${start} onInput=${(e) => setStart(e.target.value)} required /></label>
        <label class="field">${t('endsAt')}<input type="time" name="ends_at" step="900" value=${end} onInput=${(e) => setEnd(e.target.value)} required /></label>
      </div>
      ${plan.reschedule && html`<div class="row">
        <label class="field">${t('requestedBy')}<select name="requested_by" value=${requestedBy} onChange=${(e) => setRequestedBy(e.target.value)}>
          <option value="customer">${t('requester_customer')}</option><option value="company">${t('requester_company')}</option></select></label>
        <label class="field">${t('reason')}<input name="reason" maxlength="500" value=${reason} onInput=${(e) => setReason(e.target.value)} required /></label>
      </div>`}
      ${suggested && suggested.windows.length > 0 && html`<div><b>${t('findATime')}</b>
        <ul class="suggest">${suggested.windows.map((w) => html`<li><button type="button" onClick=${() => pick(w)}>
          ${w.starts_at.slice(5, 10)} ${hhmm(w.starts_at)}–${hhmm(w.ends_at)} · ${w.technician.name}</button></li>`)}</ul></div>`}
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <div class="row"><button class="primary" type="submit">${t('confirmBooking')}</button>
        <button type="button" onClick=${onClose}>${t('cancel')}</button></div>
    </form>
  </div>`;
}

// A customer is offered 10:15, not 10:07 (and a window starting now is not already past).
function roundUp(time) {
  const [h, m] = time.split(':').map(Number);
  return addMinutes(`${String(h).padStart(2, '0')}:00`, Math.ceil(m / 15) * 15);
}

function addMinutes(time, minutes) {
  const [h, m] = time.split(':').map(Number);
  const total = Math.min(h * 60 + m + minutes, 23 * 60 + 45);
  return `${String(Math.floor(total / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
}

// The week: one row per technician, seven day cells, each a small timeline of the working hours
// with its visits (coloured by the order's status) and free windows (buttons: pick or drop to book).
function Week({ day, readOnly, chosen, planAt, dropOn, drag, open, close, minutesOf, reschedule }) {
  const dates = daysFrom(day.date, day.days);
  const place = (from, to) => {
    const left = ((minutesOf(from) - open) / (close - open)) * 100;
    const width = ((minutesOf(to) - minutesOf(from)) / (close - open)) * 100;
    return `left:${left}%;width:${Math.max(width, 1)}%`;
  };
  return html`<section class="panel timeline week" aria-labelledby="timeline-h">
    <h2 id="timeline-h">${t('board')} · ${t('weekOf', { from: day.date, to: day.until })}</h2>
    <div class="weekhead" aria-hidden="true">${dates.map((d) => html`<span>${d.slice(5)} ${weekdayOf(d)}</span>`)}</div>
    ${day.technicians.map((row) => html`<div class="techrow" role="group" aria-label=${row.technician.name}>
      <div class="who"><b>${row.technician.name}</b><span class="muted">${row.technician.skills.join('/')} · ${row.technician.areas.join('/')}</span></div>
      <div class="weekdays">${dates.map((d) => html`<div class="track" role="group" aria-label=${`${row.technician.name} ${d}`}>
        ${row.free.filter((w) => localDateOf(w.starts_at) === d).map((w) => html`<button class="free" style=${place(w.starts_at, w.ends_at)} disabled=${readOnly}
          aria-label=${`${t('freeWindow')} ${row.technician.name} ${d} ${hhmm(w.starts_at)}–${hhmm(w.ends_at)}`}
          onClick=${() => planAt(chosen, row.technician.id, w)} onDragOver=${(e) => e.preventDefault()} onDrop=${dropOn(row.technician.id, w)}></button>`)}
        ${row.booked.filter((b) => localDateOf(b.starts_at) === d).map((b) => html`<div class=${`booked st-${b.status}`} style=${place(b.starts_at, b.ends_at)}
          draggable=${!readOnly} onDragStart=${drag(b.work_order_id, true)} title=${`${b.number} ${hhmm(b.starts_at)} ${t(`status_${b.status}`)}`}>
          <button class="link" disabled=${readOnly} aria-label=${`${t('reschedule')} ${b.number} ${d} ${hhmm(b.starts_at)} ${t(`status_${b.status}`)}`}
            onClick=${() => reschedule(b)}>${b.number.slice(-4)}</button></div>`)}
      </div>`)}</div></div>`)}
  </section>`;
}

/** The booking board of a day or a week. */
export function Board({ user, api }) {
  const [date, setDate] = useState(localDay());
  const [branch, setBranch] = useState('');
  const [view, setView] = useState('day');
  const [day, setDay] = useState(null);
  const [waiting, setWaiting] = useState([]);
  const [chosen, setChosen] = useState(null); // {order, reschedule} picked from the lane or a booked block
  const [plan, setPlan] = useState(null);
  const [notice, setNotice] = useState(null);
  const readOnly = user.role === 'manager';
  const load = async () => {
    const query = `date=${date}&days=${VIEW_DAYS[view]}${branch ? `&branch=${encodeURIComponent(branch)}` : ''}`;
    const [avail, ...lanes] = await Promise.all([
      api(`/api/v1/technicians/availability?${query}`),
      ...WAITING_STATUSES.map((s) => api(`/api/v1/work-orders?status=${s}&page_size=100`)),
    ]);
    if (avail.ok) setDay(avail.body);
    const orders = lanes.flatMap((r) => (r.ok ? r.body : []));
    orders.sort((a, b) => (PRIORITY_ORDER[a.priority] ?? 9) - (PRIORITY_ORDER[b.priority] ?? 9) || a.id - b.id);
    setWaiting(orders);
  };
  useEffect(() => { load(); }, [date, branch, view]);
  // D and W switch the view from anywhere on the board except while typing in a field.
  useEffect(() => {
    const onKey = (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.target.closest?.('input, select, textarea, [role="dialog"]')) return;
      const next = { d: 'day', w: 'week' }[e.key.toLowerCase()];
      if (next) setView(next);
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
  if (!day) return html`<p class="panel muted">${t('searching')}</p>`;
  const [open, close] = [day.working_hours.start, day.working_hours.end].map((s) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3)));
  const minutesOf = (iso) => {
    const [h, m] = hhmm(iso).split(':').map(Number);
    return h * 60 + m;
  };
  const place = (from, to) => {
    const left = ((minutesOf(from) - open) / (close - open)) * 100;
    const width = ((minutesOf(to) - minutesOf(from)) / (close - open)) * 100;
    return `left:${left}%;width:${Math.max(width, 0.5)}%`;
  };
  const orderById = async (id) => (await api(`/api/v1/work-orders/${id}`)).body;
  const planAt = (choice, technicianId, window) => {
    if (readOnly || !choice) return;
    // The window's own day: in the week view it is not the board's first day.
    setPlan({ order: choice.order, reschedule: choice.reschedule, technicianId, date: localDateOf(window.starts_at), start: roundUp(hhmm(window.starts_at)), end: null });
  };
  const dropOn = (technicianId, window) => async (e) => {
    e.preventDefault();
    const data = JSON.parse(e.dataTransfer.getData('application/json') || 'null');
    if (!data) return;
    const order = waiting.find((o) => o.id === data.orderId) || (await orderById(data.orderId));
    planAt({ order, reschedule: data.reschedule }, technicianId, window);
  };
  const drag = (orderId, reschedule) => (e) => {
    e.dataTransfer.setData('application/json', JSON.stringify({ orderId, reschedule }));
    e.dataTransfer.effectAllowed = 'move';
  };
  const hours = [];
  for (let m = open; m < close; m += 60) hours.push(m);
  return html`<div class="board">
    <div class="panel row">
      <label class="field narrow">${t('day')}<input type="date" name="date" value=${date} onChange=${(e) => setDate(e.target.value)} /></label>
      <label class="field narrow">${t('branch')}<input name="branch" value=${branch} onChange=${(e) => setBranch(e.target.value.trim())} /></label>
      <button onClick=${() => setDate(localDay())}>${t('today')}</button>
      <button onClick=${() => setDate(localDay(1))}>${t('tomorrowDay')}</button>
      <div role="group" aria-label=${t('boardView')} class="row">
        ${Object.keys(VIEW_DAYS).map((name) => html`<button aria-pressed=${view === name} class=${view === name ? 'current' : ''}
          aria-keyshortcuts=${name === 'day' ? 'D' : 'W'} onClick=${() => setView(name)}>${t(`view_${name}`)}</button>`)}
      </div>
      <span class="muted">${t('travelBuffer', { n: day.travel_buffer_minutes })}</span>
    </div>
    ${readOnly && html`<p class="warn" role="note">${t('readOnly')}</p>`}
    ${notice && html`<p class="panel ok" role="status">${notice}</p>`}
    ${chosen && html`<p class="warn" role="status">${t('chosenHint', { number: chosen.order.number })}
      <button onClick=${() => setChosen(null)}>${t('cancel')}</button></p>`}
    <div class="boardgrid">
      <section class="panel lane" aria-labelledby="lane-h">
        <h2 id="lane-h">${t('waitingLane')} (${waiting.length})</h2>
        <ul>${waiting.map((o) => html`<li class=${`card prio-${o.priority}`} draggable=${!readOnly} onDragStart=${drag(o.id, o.status !== 'new')}>
          <b>${o.number}</b> <span class="badge">${t(`priority_${o.priority}`)}</span> <span class="badge">${t(`status_${o.status}`)}</span>
          <div>${o.customer?.name} · ${o.description}</div><div class="muted">${o.address} · ${o.area || ''}</div>
          <button disabled=${readOnly} onClick=${() => setChosen({ order: o, reschedule: o.status !== 'new' })}>${t('chooseToBook')}</button></li>`)}</ul>
      </section>
      ${view === 'week' ? html`<${Week} day=${day} readOnly=${readOnly} chosen=${chosen} planAt=${planAt} dropOn=${dropOn} drag=${drag}
        open=${open} close=${close} minutesOf=${minutesOf} reschedule=${async (b) => setChosen({ order: await orderById(b.work_order_id), reschedule: true })} />`
      : html`<section class="panel timeline" aria-labelledby="timeline-h">
        <h2 id="timeline-h">${t('board')} · ${day.date}</h2>
        <div class="hours" aria-hidden="true">${hours.map((m) => html`<span style=${`left:${((m - open) / (close - open)) * 100}%`}>${String(m / 60).padStart(2, '0')}:00</span>`)}</div>
        ${day.technicians.map((row) => html`<div class="techrow" role="group" aria-label=${row.technician.name}>
          <div class="who"><b>${row.technician.name}</b><span class="muted">${row.technician.skills.join('/')} · ${row.technician.areas.join('/')}</span></div>
          <div class="track">
            ${row.free.map((w) => html`<button class="free" style=${place(w.starts_at, w.ends_at)} disabled=${readOnly}
              aria-label=${`${t('freeWindow')} ${row.technician.name} ${hhmm(w.starts_at)}–${hhmm(w.ends_at)}`}
              onClick=${() => planAt(chosen, row.technician.id, w)} onDragOver=${(e) => e.preventDefault()} onDrop=${dropOn(row.technician.id, w)}>
              ${hhmm(w.starts_at)}</button>`)}
            ${row.booked.map((b) => html`<div class=${`booked st-${b.status}`} style=${place(b.starts_at, b.ends_at)}
              draggable=${!readOnly} onDragStart=${drag(b.work_order_id, true)} title=${`${b.number} ${t(`status_${b.status}`)}`}>
              <button class="link" disabled=${readOnly} aria-label=${`${t('reschedule')} ${b.number} ${hhmm(b.starts_at)}`}
                onClick=${async () => setChosen({ order: await orderById(b.work_order_id), reschedule: true })}>${b.number.slice(-4)} ${hhmm(b.starts_at)}</button></div>`)}
          </div></div>`)}
      </section>`}
    </div>
    ${plan && html`<${BookDialog} plan=${plan} day=${day} api=${api} reload=${load} onClose=${() => setPlan(null)}
      onBooked=${(a) => { setPlan(null); setChosen(null); setNotice(t('booked', { number: plan.order.number, at: hhmm(a.starts_at) })); load(); }} />`}
  </div>`;
}
