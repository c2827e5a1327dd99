// 个案/投诉: every case with 003's record, its three-hour clock, the owner, and an escalation when it
// went overdue; answer or resolve it; open a new one. The complaint-handling guidance sits beside.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { L, getLang, t } from '../i18n.js';
import { reasonOf } from './reason.js';

const KINDS = ['complaint', 'query', 'follow_up'];
const CHANNELS = ['phone', 'visit', 'sms', 'wechat', 'web', 'letter', 'other'];
const SEVERITIES = ['normal', 'high', 'low'];
const FILTERS = { open: 'status=open', overdue: 'overdue=true', all: '' };

function when(iso) {
  return new Date(iso).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}


function CaseRow({ item, readOnly, api, onChange }) {
  const [notes, setNotes] = useState('');
  const [error, setError] = useState(null);
  const act = async (verb) => {
    const r = await api(`/api/v1/complaints/${item.id}/${verb}`, { method: 'POST', body: { notes } });
    if (!r.ok) return setError(reasonOf(r));
    onChange();
  };
  return html`<li class=${`case ${item.overdue ? 'overdue' : ''}`}>
    <div><b>${t(`kind_${item.kind}`)}</b> <span class="badge">${t(`severity_${item.severity}`)}</span>
      <span class="badge">${t(`case_${item.status}`)}</span>
      ${item.overdue && html`<span class="badge bad">${t('overdue')}</span>`}
      ${item.escalated_at && html`<span class="badge bad">${t('escalatedTo', { name: item.escalated_to?.name || '—' })}</span>`}</div>
    <div>${item.description}</div>
    <div class="muted">${item.person} · ${item.contact_phone} · ${item.place || ''} ${item.work_order ? `· ${item.work_order.number}` : ''}</div>
    <div class="muted">${t('openedAt')} ${when(item.opened_at)} · ${t('dueAt')} ${when(item.due_at)}
      ${item.owner ? ` · ${t('owner')} ${item.owner.name}` : ''}</div>
    ${item.status !== 'resolved' && !readOnly && html`<div class="row">
      <label class="field">${t('notes')}<input name="notes" maxlength="4000" value=${notes} onInput=${(e) => setNotes(e.target.value)} /></label>
      ${!item.answered_at && html`<button onClick=${() => act('answer')} disabled=${!notes.trim()}>${t('answerCase')}</button>`}
      <button onClick=${() => act('resolve')} disabled=${!notes.trim()}>${t('resolveCase')}</button></div>`}
    ${error && html`<p class="error" role="alert">${error}</p>`}
  </li>`;
}

function NewCase({ api, onOpened }) {
  const blank = { kind: 'complaint', channel: 'phone', severity: 'normal', person: '', contact_phone: '', place: '', description: '', work_order_id: '' };
  const [form, setForm] = useState(blank);
  const [error, setError] = useState(null);
  const field = (name) => (e) => setForm({ ...form, [name]: e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    const body = Object.fromEntries(Object.entries(form).filter(([, v]) => v !== ''));
    if (body.work_order_id) body.work_order_id = Number(body.work_order_id);
    const r = await api('/api/v1/complaints', { method: 'POST', body });
    if (!r.ok) return setError(reasonOf(r));
    setForm(blank);
    setError(null);
    onOpened(r.body);
  };
  return html`<form class="panel" aria-labelledby="newcase-h" onSubmit=${submit}>
    <h2 id="newcase-h">${t('newCase')}</h2>
    <div class="row">
      <label class="field">${t('caseKind')}<select name="kind" value=${form.kind} onChange=${field('kind')}>${KINDS.map((k) => html`<option value=${k}>${t(`kind_${k}`)}</option>`)}</select></label>
      <label class="field">${t('channel')}<select name="channel" value=${form.channel} onChange=${field('channel')}>${CHANNELS.map((c) => html`<option value=${c}>${t(`channel_${c}`)}</option>`)}</select></label>
      <label class="field">${t('severity')}<select name="severity" value=${form.severity} onChange=${field('severity')}>${SEVERITIES.map((s) => html`<option value=${s}>${t(`severity_${s}`)}</option>`)}</select></label>
    </div>
    <div class="row">
      <label class="field">${t('person')}<input name="person" maxlength="64" value=${form.person} onInput=${field('person')} /></label>
      <label class="field">${t('contactPhone')}<input name="contact_phone" maxlength="32" value=${form.contact_phone} onInput=${field('contact_phone')} /></label>
      <label class="field">${t('workOrderId')}<input name="work_order_id" inputmode="numeric" value=${form.work_order_id} onInput=${field('work_order_id')} /></label>
    </div>
    <label class="field">${t('place')}<input name="place" maxlength="500" value=${form.place} onInput=${field('place')} /></label>
    <label class="field">${t('event')}<textarea name="description" maxlength="4000" value=${form.description} onInput=${field('description')} required></textarea></label>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <button class="primary" type="submit">${t('openCase')}</button>
  </form>`;
}

/** The cases screen. */
export function Cases({ user, api }) {
  const [filter, setFilter] = useState('open');
  const [items, setItems] = useState(null);
  const [tips, setTips] = useState([]);
  const readOnly = user.role === 'manager';
  const latest = useRef(0);
  // Only the newest request's answer is drawn: a slow list never overwrites a fresher one.
  const load = async () => {
    const ticket = ++latest.current;
    const r = await api(`/api/v1/complaints?page_size=100&${FILTERS[filter]}`);
    if (r.ok && ticket === latest.current) setItems(r.body);
  };
  useEffect(() => { load(); }, [filter]);
  useEffect(() => { api('/api/v1/call-centre/guide').then((r) => r.ok && setTips(r.body.case_tips)); }, []);
  return html`<div class="columns">
    <section class="panel" aria-labelledby="cases-h">
      <h2 id="cases-h">${t('cases')}</h2>
      <div class="row" role="group" aria-label=${t('cases')}>${Object.keys(FILTERS).map((f) => html`<button aria-pressed=${f === filter} onClick=${() => setFilter(f)}>${t(`filter_${f}`)}</button>`)}</div>
      ${items && (items.length === 0 ? html`<p class="muted">${t('noCases')}</p>` : html`<ul class="cases">${items.map((item) => html`<${CaseRow} key=${item.id} item=${item} readOnly=${readOnly} api=${api} onChange=${load} />`)}</ul>`)}
    </section>
    <div>
      ${!readOnly && html`<${NewCase} api=${api} onOpened=${load} />`}
      <section class="panel" aria-labelledby="casetips-h"><h2 id="casetips-h">${t('caseTips')}</h2>
        <ul>${tips.map((tip) => html`<li>${L(tip)}</li>`)}</ul></section>
    </div>
  </div>`;
}
