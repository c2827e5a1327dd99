// A visit: the six-step stepper, driven wholly by the flow definition.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import * as actions from '../actions.js';
import { draftKey, queueDraft } from '../drafts.js';
import { canComplete, clockAt, currentStep, doorWithoutCall, fillScript, greetingAt, hasStepRecord, itemsToAnswer, scriptValues } from '../flow.js';
import { L, t } from '../i18n.js';
import { compressPhoto } from '../photos.js';
import { go, reload, store } from '../store.js';
import { TOOLS } from './tools.js';

/** Run an action, then re-read the local state so every screen shows it. */
export async function act(fn) {
  await fn(store.db);
  await reload();
  dispatchEvent(new Event('doorstep:queued'));
  if (navigator.onLine) store.syncer.kick();
}

/**
 * Keep a form's unsaved input as a draft in IndexedDB as it is filled.
 *
 * Return [value, set, isDraft]: the draft when there is one (restored after a kill), else `saved`
 * (the stored record, or the empty form); `set` keeps the new value on screen and queues its write.
 */
export function useDraft(id, form, saved) {
  const key = draftKey(id, form);
  const [, rerender] = useState(0);
  const isDraft = key in store.state.drafts;
  const set = (next) => {
    store.state.drafts[key] = next;
    queueDraft(store.db, id, form, next);
    rerender((n) => n + 1);
  };
  return [isDraft ? store.state.drafts[key] : saved, set, isDraft];
}

/** Return the mark shown on a form while what it holds is a draft, not yet saved. */
export function DraftMark({ on, text = t('draftUnsaved') }) {
  return on ? html`<p class="draftmark" role="status" data-testid="draft">${text}</p>` : null;
}

/** Return the visit screen for one work order. */
export function Visit({ id, s }) {
  const v = s.visits.find((x) => x.work_order.id === id);
  const flow = v && s.flows[v.work_order.type];
  const local = s.local[id] || { answers: {}, completed: [], calls: [], late_notices: [], knocks: [], photos: [] };
  const [chosen, setChosen] = useState(null);
  const [moveOn, setMoveOn] = useState(false);
  const view = useRef(null);
  // After 完成此步骤 the next step's start comes into view and takes the focus (screen readers too).
  useEffect(() => {
    if (!moveOn) return;
    setMoveOn(false);
    const heading = view.current?.querySelector('article.step h3');
    if (!heading) return;
    heading.scrollIntoView({ block: 'start' });
    // The sticky top bar covers the first pixels of the page: keep the heading clear of it.
    globalThis.scrollBy(0, -(document.querySelector('header.top')?.offsetHeight || 0) - 8);
    heading.focus({ preventScroll: true });
  }, [moveOn]);
  if (!v || !flow) return html`<p class="card">…</p>`;
  const current = currentStep(flow, local.completed);
  const step = flow.steps.find((x) => x.id === chosen) || current || flow.steps[flow.steps.length - 1];
  // Steps run in order (the server refuses actions of a later step): later steps are not open yet.
  const reachable = (x) => local.completed.includes(x.id) || x.id === current?.id;
  // The notice says when the technician came to the door: the first knock (now, before knocking).
  const cameAt = s.greetings?.timezone ? clockAt(local.knocks[0]?.at || new Date().toISOString(), s.greetings.timezone) : '';
  const values = scriptValues({ customer: v.customer, user: s.session?.user, greeting: greetingAt(s.greetings), lang: s.lang, cameAt });
  const ctx = { v, flow, local, s, id, values };
  const allDone = flow.steps.every((x) => local.completed.includes(x.id));
  // The step is keyed by its id, so each step starts from its own DOM (its tips closed), not the last one's.
  return html`<section class="visitview" aria-label=${v.work_order.number} ref=${view}>
    <button class="link" onClick=${() => go({ name: 'agenda' })}>← ${t('back')}</button>
    <h2>${v.customer.name} · ${v.work_order.number}</h2>
    <p class="muted">${v.work_order.description}</p>
    <nav aria-label=${t('steps')}><ol class="stepper">
      ${flow.steps.map((x, i) => html`<li><button
          class=${`${x.id === step.id ? 'cur' : ''} ${local.completed.includes(x.id) ? 'done' : ''}`}
          aria-current=${x.id === step.id ? 'step' : undefined}
          aria-label=${`${t('step')} ${i + 1}: ${L(x.title)}${local.completed.includes(x.id) ? ` (${t('completed')})` : ''}`}
          disabled=${!reachable(x)} onClick=${() => setChosen(x.id)}>${i + 1}<span>${L(x.title)}</span></button></li>`)}
    </ol></nav>
    ${local.phone_fix && html`<p class="card ok" role="status" data-testid="phone-fixed">${t('phoneFixDone')}</p>`}
    ${local.phone_fix ? null : local.no_access
      ? html`<p class="card ok" role="status">${t('noAccessDone')}</p>`
      : html`<${Step} key=${step.id} step=${step} ctx=${ctx} onDone=${() => { setChosen(null); setMoveOn(true); }} />`}
    ${allDone && !local.done && html`<button class="primary" onClick=${() => act((db) => actions.completeVisit(db, id))}>${t('finishVisit')}</button>`}
    ${local.done && !local.no_access && !local.phone_fix && html`<p class="card ok" role="status" data-testid="visit-done">${t('visitDone')}</p>`}
  </section>`;
}

function Step({ step, ctx, onDone }) {
  const { local, id, values, flow } = ctx;
  const answers = local.answers[step.id] || {};
  const done = local.completed.includes(step.id);
  const missing = itemsToAnswer(step, answers, local, flow.rules);
  const recorded = hasStepRecord(step.id, local, flow.rules);
  const unanswered = step.id === 'call' && doorWithoutCall(local, flow.rules);
  const Tool = TOOLS[step.id];
  return html`<article class="step" data-step=${step.id}>
    <h3 tabindex="-1">${L(step.title)} ${done && html`<span class="badge ok">${t('completed')}</span>`}</h3>
    ${(step.scripts || []).map((sc) => html`<div class="card script" aria-label=${`${t('script')}: ${L(sc.title)}`}>
      <h4>${L(sc.title)}</h4><p>${fillScript(L(sc.text), values)}</p></div>`)}
    <${Checklist} step=${step} answers=${answers} id=${id} locked=${done} corrections=${local.corrections || []} />
    ${Tool && html`<${Tool} ctx=${ctx} />`}
    <${Tips} tips=${step.tips} />
    ${!done && html`<div class="complete">
      ${unanswered && html`<p class="card ok" role="status" data-testid="door-without-call">${t('doorWithoutCall', { n: unanswered.length })}</p>`}
      ${(missing.length > 0 || !recorded) && html`<p class="muted" data-testid="missing">${t('missing')}: ${[
        ...missing.map((i) => L(i.label)), ...(recorded ? [] : [t(`record_${step.id}`)])].join('；')}</p>`}
      <button class="primary" data-testid="complete-step" disabled=${!canComplete(step, answers, local, flow.rules)}
        onClick=${async () => { await act((db) => actions.completeStep(db, id, step, answers, local, flow.rules)); onDone(); }}>${t('complete')}</button>
    </div>`}
  </article>`;
}

function Checklist({ step, answers, id, locked, corrections }) {
  // Items the flow links to the step's record (`record:`) are asked once, in the step's tool.
  const items = (step.checklist || []).filter((item) => !item.record);
  if (!items.length) return null;
  return html`<fieldset class="card checklist"><legend>${t('checklist')}</legend>
    ${locked && html`<p class="muted" data-testid="checklist-locked">${t('checklistLocked')}</p>`}
    ${items.map((item) => (locked
      ? html`<${LockedItem} item=${item} value=${answers[item.id]} step=${step.id} id=${id}
          history=${corrections.filter((c) => c.step === step.id && c.item === item.id)} />`
      : html`<${Item} item=${item} value=${answers[item.id]} step=${step.id} id=${id} />`))}
  </fieldset>`;
}

/** Show the answer in words, for a completed step whose answers only a correction may change. */
function answerText(item, value) {
  if (value == null || value === '') return t('unanswered');
  if (item.kind === 'check') return value === true ? `✓ ${t('yes')}` : `✗ ${t('no')}`;
  if (item.kind === 'choice') return L(item.choices.find((c) => c.id === value)?.label) || value;
  if (item.kind === 'photo') return `✓ ${t('photoTaken')}`;
  return String(value);
}

/**
 * Return a locked answer of a completed step, its corrections, and (for ticks and text) the
 * correction form: the new value and the reason, both required (issue 10.9).
 */
function LockedItem({ item, value, step, id, history }) {
  const [open, setOpen] = useState(false);
  const [next, setNext] = useState(item.kind === 'check' ? value !== true : value || '');
  const [reason, setReason] = useState('');
  const correctable = item.kind === 'check' || item.kind === 'text';
  const save = async () => {
    await act((db) => actions.correctAnswer(db, id, step, item.id, next, reason.trim()));
    setOpen(false);
    setReason('');
  };
  return html`<div class="locked" data-locked=${item.id}>
    <p><span>${L(item.label)}</span>：<strong>${answerText(item, value)}</strong>
      ${correctable && !open && html` <button class="link" onClick=${() => setOpen(true)}>${t('correct')}</button>`}</p>
    ${history.map((c) => html`<p class="muted" data-testid="correction">${t('corrected', {
      at: new Date(c.at).toLocaleString(), from: answerText(item, c.from), to: answerText(item, c.to), reason: c.reason })}</p>`)}
    ${open && html`<div class="card">
      ${item.kind === 'check'
        ? html`<label class="check"><input type="checkbox" checked=${next} onChange=${(e) => setNext(e.target.checked)} /><span>${L(item.label)}</span></label>`
        : html`<label class="field">${L(item.label)}<textarea value=${next} onInput=${(e) => setNext(e.target.value)}></textarea></label>`}
      <label class="field">${t('correctionReason')} *<input name="correction_reason" value=${reason} onInput=${(e) => setReason(e.target.value)} /></label>
      <div class="row"><button onClick=${() => setOpen(false)}>${t('cancel')}</button>
        <button class="primary" disabled=${!reason.trim()} onClick=${save}>${t('saveCorrection')}</button></div>
    </div>`}
  </div>`;
}

function Item({ item, value, step, id }) {
  const label = `${L(item.label)}${item.required ? ' *' : ''}`;
  const save = (val) => act((db) => actions.answer(db, id, step, item.id, val));
  switch (item.kind) {
    case 'check':
      return html`<${Check} label=${label} id=${item.id} stored=${value === true} onSave=${save} />`;
    case 'text':
      return html`<${Typed} label=${label} item=${item.id} step=${step} id=${id} stored=${value || ''} onSave=${save} />`;
    case 'number':
      return html`<${Typed} label=${label} item=${item.id} step=${step} id=${id} stored=${value ?? ''} number=${true}
        onSave=${(v) => save(v === '' ? null : Number(v))} />`;
    case 'choice':
      return html`<fieldset class="field choice"><legend>${label}</legend>
        ${item.choices.map((c) => html`<label class="check"><input type="radio" name=${`${step}-${item.id}`} data-item=${item.id}
          value=${c.id} checked=${value === c.id} onChange=${() => save(c.id)} /><span>${L(c.label)}</span></label>`)}
      </fieldset>`;
    case 'photo':
      return html`<${PhotoInput} label=${label} taken=${!!value} testid=${item.id}
        onPhoto=${(blob) => act((db) => actions.addPhoto(db, id, { step, item: item.id, blob }))} />`;
    default:
      return null;
  }
}

/** Return a checkbox that shows the tap at once, even if a sync re-renders before the save lands. */
function Check({ label, id, stored, onSave }) {
  const [draft, setDraft] = useState(null);
  return html`<label class="check"><input type="checkbox" data-item=${id} checked=${draft ?? stored}
    onChange=${async (e) => { setDraft(e.target.checked); await onSave(e.target.checked); setDraft(null); }} />
    <span>${label}</span></label>`;
}

/**
 * Return a text or number field whose text is kept as a draft as it is typed (a kill loses at most
 * the last fraction of a second) and recorded as the answer when the field is left.
 */
function Typed({ label, item, step, id, stored, number = false, onSave }) {
  const [value, setValue, isDraft] = useDraft(id, `answer:${step}:${item}`, stored);
  const props = {
    'data-item': item, value,
    onInput: (e) => setValue(e.target.value),
    // On leaving the field, also when a draft restored after a kill is left unchanged.
    onBlur: (e) => { if (isDraft) onSave(e.target.value); },
  };
  return html`<label class="field">${label}${number
    ? html`<input type="number" inputmode="decimal" ...${props} />`
    : html`<textarea ...${props}></textarea>`}<${DraftMark} on=${isDraft} text=${t('draftAnswer')} /></label>`;
}

/** Return a camera button that compresses the photo before handing it on. */
export function PhotoInput({ label, taken, onPhoto, testid }) {
  const [busy, setBusy] = useState(false);
  return html`<label class=${`field photo ${taken ? 'taken' : ''}`}>
    <span>${label} ${taken ? `✓ ${t('photoTaken')}` : ''}</span>
    <input type="file" accept="image/*" capture="environment" data-item=${testid} disabled=${busy} aria-label=${`${t('takePhoto')}: ${label}`}
      onChange=${async (e) => {
        const file = e.target.files[0];
        if (!file) return;
        setBusy(true);
        try {
          await onPhoto(await compressPhoto(file));
        } finally {
          setBusy(false);
          e.target.value = '';
        }
      }} />
  </label>`;
}

function Tips({ tips }) {
  if (!tips?.length) return null;
  return html`<details class="card tips"><summary>${t('tips')}</summary>
    ${tips.map((tip) => html`<${Tip} tip=${tip} />`)}</details>`;
}

/** Return one tip with its do and don't lists (and a customer style's traits and phone cues). */
export function Tip({ tip }) {
  return html`<div class="tip" data-tip=${tip.id}><h4>${L(tip.title)}</h4>
    ${tip.traits && html`<p class="traits"><strong>${t('traits')}</strong>${t('colon')}${L(tip.traits).join(t('listSep'))}</p>`}
    ${tip.cues && html`<p class="cues"><strong>${t('cues')}</strong>${t('colon')}${L(tip.cues).join(t('listSep'))}</p>`}
    <div class="dodont"><div><strong>${t('do')}</strong><ul>${(L(tip.do) || []).map((x) => html`<li>${x}</li>`)}</ul></div>
    <div><strong>${t('dont')}</strong><ul>${(L(tip.dont) || []).map((x) => html`<li>✗ ${x}</li>`)}</ul></div></div></div>`;
}
