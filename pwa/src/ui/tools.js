// Per-step tools: call log and late notice, check-in and knock timer, communicate, operate, evaluate, help.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import * as actions from '../actions.js';
import { MOMENTS, RATINGS, checkinOffWindow, evaluationGaps, greetingAt, linkedItem } from '../flow.js';
import { L, t } from '../i18n.js';
import { scanSerial } from '../photos.js';
import { Greeting, fmtDayTime, fmtTime } from './app.js';
import { DraftMark, PhotoInput, Tip, act, useDraft } from './visit.js';

const LATE_OFFER_MINUTES = 15;

function useNow(periodMs = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const h = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(h);
  }, [periodMs]);
  return now;
}

function onDay(dayIso, hhmm) {
  if (!hhmm) return null;
  const d = dayIso ? new Date(dayIso) : new Date();
  const [h, m] = hhmm.split(':').map(Number);
  d.setHours(h, m, 0, 0);
  return d.toISOString();
}

/** Return a checklist item's label for the tool field that answers it, marked * when required. */
function itemLabel(item, fallback) {
  return item ? `${L(item.label)}${item.required ? ' *' : ''}` : fallback;
}

function CallTool({ ctx }) {
  const { v, local, id, s, flow } = ctx;
  const step = flow.steps.find((x) => x.id === 'call');
  // The fault heard on the phone is the call log's field and, where the flow links it, a checklist answer.
  const faultItem = linkedItem(step, 'call.fault_description');
  const [outcome, setOutcome] = useState('reached');
  const [start, setStart] = useState('');
  const [end, setEnd] = useState('');
  const [notes, setNotes] = useState('');
  const [fault, setFault, faultDraft] = useDraft(id, 'call', local.answers.call?.[faultItem?.id] || '');
  const phone = v.customer.phones?.[0];
  const save = () => act((db) => actions.callAttempt(db, id, {
    outcome, notes, fault_description: fault, greeting: greetingAt(s.greetings)?.id, window: start && end ? { start: onDay(v.appointment?.starts_at, start), end: onDay(v.appointment?.starts_at, end) } : null,
    // A completed step's answers are locked: a later call no longer answers its item.
  }, local.completed.includes('call') ? null : step)).then(() => setNotes(''));
  return html`<div class="card tool">
    ${phone && html`<a class="btnlink big" href=${`tel:${phone}`} aria-label=${`${t('call')} ${v.customer.name}`}>${t('call')} ${phone}</a>`}
    <p><${Greeting} rules=${s.greetings} /></p>
    <fieldset><legend>${t('outcome')}</legend><div class="seg">
      ${['reached', 'no_answer', 'busy', 'wrong_number', 'rescheduled'].map((o) => html`<label class="check"><input type="radio" name="outcome" value=${o}
        checked=${outcome === o} onChange=${() => setOutcome(o)} /><span>${t(o)}</span></label>`)}
    </div></fieldset>
    <div class="row"><label class="field">${t('windowStart')}<input type="time" value=${start} onInput=${(e) => setStart(e.target.value)} /></label>
      <label class="field">${t('windowEnd')}<input type="time" value=${end} onInput=${(e) => setEnd(e.target.value)} /></label></div>
    ${faultItem && html`<label class="field">${itemLabel(faultItem)}<textarea name="fault_description" value=${fault}
      onInput=${(e) => setFault(e.target.value)}></textarea><${DraftMark} on=${faultDraft} text=${t('draftCall')} /></label>`}
    <label class="field">${t('notes')}<input value=${notes} onInput=${(e) => setNotes(e.target.value)} /></label>
    <button onClick=${save}>${t('callAttempt')}</button>
    ${local.calls.length > 0 && html`<ul class="log" aria-label=${t('attempts')}>${local.calls.map((c) => html`<li>${fmtTime(c.at)} · ${t(c.outcome)}${c.window ? ` · ${fmtTime(c.window.start)}–${fmtTime(c.window.end)}` : ''}${c.notes ? ` · ${c.notes}` : ''}</li>`)}</ul>`}
    ${!local.completed.includes('call') && html`<${PhoneFix} ctx=${ctx} />`}
    <${LateNotice} ctx=${ctx} always=${true} />
    <${StyleCues} flow=${flow} />
  </div>`;
}

/** Offer to close the order as fixed by phone guidance (电话指导) once a call reached the customer. */
function PhoneFix({ ctx }) {
  const { local, id } = ctx;
  const [notes, setNotes] = useState('');
  if (!local.calls.some((c) => c.outcome === 'reached')) return null;
  return html`<details class="card" data-testid="phone-fix"><summary>${t('phoneFix')}</summary>
    <p class="muted">${t('phoneFixHint')}</p>
    <label class="field">${t('phoneFixNotes')} *<textarea name="phone_fix_notes" value=${notes} onInput=${(e) => setNotes(e.target.value)}></textarea></label>
    <button class="primary" disabled=${!notes.trim()} onClick=${() => act((db) => actions.phoneFix(db, id, notes.trim()))}>${t('phoneFixClose')}</button>
  </details>`;
}

/** Return how each customer style sounds on the phone (the communicate step's style tips), to spot it while calling. */
function StyleCues({ flow }) {
  const styles = (flow.steps.find((x) => x.id === 'communicate')?.tips || []).filter((tip) => tip.cues);
  if (!styles.length) return null;
  return html`<details class="stylecues" data-testid="style-cues"><summary>${t('spotStyle')}</summary>
    ${styles.map((tip) => html`<p><strong>${L(tip.title)}</strong>${t('colon')}${L(tip.cues).join(t('listSep'))}</p>`)}
  </details>`;
}

function LateNotice({ ctx, always = false }) {
  const { v, local, id } = ctx;
  const now = useNow(30000);
  const [reason, setReason] = useState('');
  const [eta, setEta] = useState('');
  const starts = v.appointment ? Date.parse(v.appointment.starts_at) : null;
  const near = starts && !local.checkin && starts - now < LATE_OFFER_MINUTES * 60000 && now < Date.parse(v.appointment.ends_at);
  if (!near && !always) return null;
  const form = html`<div class="row"><label class="field">${t('reason')}<input value=${reason} onInput=${(e) => setReason(e.target.value)} /></label>
      <label class="field">${t('newEta')}<input type="time" value=${eta} onInput=${(e) => setEta(e.target.value)} /></label></div>
    <button disabled=${!reason || !eta} onClick=${() => act((db) => actions.lateNotice(db, id, { reason, new_eta: onDay(v.appointment?.starts_at, eta) }))}>${t('sendLate')}</button>
    ${local.late_notices.map((n) => html`<p class="muted">${fmtTime(n.at)} · ${n.reason} → ${fmtTime(n.new_eta)}</p>`)}`;
  if (near) return html`<div class="warn" role="alert"><p>${t('lateOffer')}</p>${form}</div>`;
  return html`<details><summary>${t('lateNotice')}</summary>${form}</details>`;
}

function ArriveTool({ ctx }) {
  const { local, id, v } = ctx;
  const [useLoc, setUseLoc] = useState(false);
  const [offWindow, setOffWindow] = useState(null);
  const doCheckin = async () => {
    setOffWindow(null);
    let pos = null;
    if (useLoc && navigator.geolocation) {
      pos = await new Promise((resolve) => navigator.geolocation.getCurrentPosition(
        (p) => resolve({ lat: p.coords.latitude, lng: p.coords.longitude, accuracy_m: Math.round(p.coords.accuracy) }),
        () => resolve(null), { timeout: 8000, maximumAge: 60000 }));
    }
    await act((db) => actions.checkin(db, id, pos));
  };
  // A check-in far from the booked window (another day, hours early) is asked about first.
  const tryCheckin = () => {
    const off = checkinOffWindow(v.appointment);
    if (off) setOffWindow(off);
    else doCheckin();
  };
  const when = v.appointment && `${fmtDayTime(v.appointment.starts_at)}–${fmtTime(v.appointment.ends_at)}`;
  return html`<div class="card tool">
    <${LateNotice} ctx=${ctx} />
    ${local.checkin
      ? html`<p class="ok" role="status">✓ ${t('checkedIn')} ${fmtTime(local.checkin.at)}</p>`
      : html`<label class="check"><input type="checkbox" checked=${useLoc} onChange=${(e) => setUseLoc(e.target.checked)} /><span>${t('useLocation')}</span></label>
        ${offWindow
          ? html`<div class="warn" role="alert" data-testid="checkin-warning">
              <p>${offWindow.early
                ? t('checkinEarly', { when, h: Math.floor(offWindow.early / 60), m: offWindow.early % 60 })
                : t('checkinLate', { when })}</p>
              <div class="row"><button onClick=${() => setOffWindow(null)}>${t('cancel')}</button>
                <button class="danger" onClick=${doCheckin}>${t('checkinAnyway')}</button></div></div>`
          : html`<button class="primary" onClick=${tryCheckin}>${t('checkin')}</button>`}`}
    ${!local.no_access && !local.checkin && html`<${KnockTimer} ctx=${ctx} phone=${v.customer.phones?.[0]} />`}
  </div>`;
}

function KnockTimer({ ctx, phone }) {
  const { local, id, flow } = ctx;
  const rules = flow.rules || {};
  const interval = (rules.knock_interval_seconds || 30) * 1000;
  const callAfter = (rules.call_after_knocking_seconds || 180) * 1000;
  // The standard's wording, with the flow's numbers: 连续轻敲2次，每次3下；30秒重复1次；3分钟后…致电.
  const protocol = {
    sets: rules.knock_sets_per_round || 2, knocks: rules.knocks_per_set || 3,
    s: interval / 1000, m: Math.round(callAfter / 60000),
  };
  const startedAt = local.knocks.length ? Date.parse(local.knocks[0].at) : null;
  const now = useNow(250);
  const recording = useRef(false);
  const elapsed = startedAt ? now - startedAt : 0;
  const due = startedAt ? Math.min(Math.floor(elapsed / interval) + 1, Math.ceil(callAfter / interval)) : 0;
  useEffect(() => {
    if (!startedAt || recording.current || due <= local.knocks.length || elapsed >= callAfter) return;
    recording.current = true;
    navigator.vibrate?.([200, 100, 200, 100, 200]);
    act((db) => actions.knock(db, id, due)).finally(() => { recording.current = false; });
  }, [due, local.knocks.length]);
  if (!startedAt) {
    return html`<p data-testid="knock-rule">${t('knockRule', protocol)}</p>
      <button class="primary" onClick=${() => { navigator.vibrate?.([200, 100, 200, 100, 200]); act((db) => actions.knock(db, id, 1)); }}>${t('startKnock')}</button>`;
  }
  const timeUp = elapsed >= callAfter;
  // The server accepts no access only after a call made once the knocking time is over.
  const calledAfter = local.calls.some((c) => Date.parse(c.at) - startedAt >= callAfter && c.outcome !== 'reached');
  const left = Math.ceil((interval - (elapsed % interval)) / 1000);
  return html`<div class="knock" data-testid="knock">
    <p class="big" aria-live="polite">${t('knockRound', { n: local.knocks.length })} · ${t('knockNow', protocol)}</p>
    ${!timeUp && html`<p data-testid="knock-rhythm">${t('knockRhythm', protocol)}</p>
      <p>${t('nextRound')} <span class="countdown" data-testid="countdown" role="timer">${left}s</span></p>
      <progress max=${callAfter} value=${elapsed} aria-label=${t('knock')}></progress>`}
    ${timeUp && html`<div class="warn" role="alert"><p>${t('callCustomerNow')}</p>
      ${phone && html`<a class="btnlink big" href=${`tel:${phone}`}>${t('call')} ${phone}</a>`}
      <div class="row">
        <button onClick=${() => act((db) => actions.callAttempt(db, id, { outcome: 'no_answer', notes: 'after knocking' }))}>${t('logNoAnswer')}</button>
        <button onClick=${() => act((db) => actions.callAttempt(db, id, { outcome: 'reached', notes: 'after knocking' }))}>${t('logReached')}</button>
      </div>
      ${calledAfter && html`<h4>${t('noAccess')}</h4><${NoAccess} id=${id} />`}
    </div>`}
  </div>`;
}

function NoAccess({ id }) {
  const [notice, setNotice] = useState(null);
  return html`<${PhotoInput} label=${t('noticePhoto')} taken=${!!notice} testid="notice_photo" onPhoto=${async (b) => setNotice(b)} />
    <button class="primary danger" disabled=${!notice} onClick=${() => act((db) => actions.noAccess(db, id, notice))}>${t('endNoAccess')}</button>`;
}

const STYLES = ['dove', 'owl', 'peacock', 'tiger'];
const NEEDS = ['physical', 'business', 'information', 'emotional'];

function CommunicateTool({ ctx }) {
  const { local, id, flow } = ctx;
  const prev = local.communicate || {};
  const [form, setForm, isDraft] = useDraft(id, 'communicate', {
    customer_description: prev.customer_description || '', customer_style: prev.customer_style || '', needs: prev.needs || [],
  });
  const { customer_description: desc, customer_style: style, needs } = form;
  const set = (patch) => setForm({ ...form, ...patch });
  const tips = flow.steps.find((s) => s.id === 'communicate')?.tips || [];
  const chosenTip = tips.find((x) => x.id === style);
  return html`<div class="card tool">
    <${DraftMark} on=${isDraft} />
    <label class="field">${t('description')}<textarea name="customer_description" value=${desc}
      onInput=${(e) => set({ customer_description: e.target.value })}></textarea></label>
    <fieldset><legend>${t('style')}</legend><div class="seg">
      ${STYLES.map((st) => html`<label class="check"><input type="radio" name="style" value=${st} checked=${style === st}
        onChange=${() => set({ customer_style: st })} />
        <span>${L(tips.find((x) => x.id === st)?.title) || st}</span></label>`)}
    </div></fieldset>
    ${chosenTip && html`<${Tip} tip=${chosenTip} />`}
    <fieldset><legend>${t('needs')}</legend><div class="seg">
      ${NEEDS.map((n) => html`<label class="check"><input type="checkbox" value=${n} checked=${needs.includes(n)}
        onChange=${(e) => set({ needs: e.target.checked ? [...needs, n] : needs.filter((x) => x !== n) })} /><span>${t(n)}</span></label>`)}
    </div></fieldset>
    <button disabled=${!desc || !style} onClick=${() => act((db) => actions.communicate(db, id, form))}>
      ${local.communicate && !isDraft ? `✓ ${t('saved')} · ` : ''}${t('save')}</button>
  </div>`;
}

const WORK_KINDS = ['in_home', 'installation', 'equipment_replacement', 'outdoor_line_check'];

function money(cents) {
  return `¥${(cents / 100).toFixed(2)}`;
}

function OperateTool({ ctx }) {
  const { local, id, s, flow } = ctx;
  const step = flow.steps.find((x) => x.id === 'operate');
  const prev = local.operate || {};
  const [form, setForm, isDraft] = useDraft(id, 'operate', {
    work_kinds: prev.work_kinds || [], equipment_swaps: prev.equipment_swaps || [], materials: prev.materials || [],
    fees: prev.fees || [], result: prev.result || '', notes: prev.notes || '', strokes: [],
    revisit_day: '', revisit_start: '', revisit_end: '',
  });
  const { work_kinds: kinds, equipment_swaps: swaps, materials, fees, result, notes } = form;
  // Work left unfixed ends with a new time agreed with the customer (另约时间); the server requires it.
  const unfixed = result && result !== 'fixed';
  const revisit = unfixed && form.revisit_day && form.revisit_start && form.revisit_end
    ? { start: onDay(`${form.revisit_day}T00:00`, form.revisit_start), end: onDay(`${form.revisit_day}T00:00`, form.revisit_end) } : null;
  const set = (patch) => setForm({ ...form, ...patch });
  const latest = useRef(form);
  latest.current = form;
  const canvas = useRef(null);
  const signed = (form.strokes || []).length > 0;
  const save = async () => {
    const signature = signed ? await pngOf(canvas.current) : null;
    await act((db) => actions.operate(db, id, {
      work_kinds: kinds, equipment_swaps: swaps.filter((x) => x.old_serial || x.new_serial).map((x) => ({ ...x, in_warranty: !!x.in_warranty })),
      materials: materials.filter((m) => m.name), fees: fees.filter((f) => f.qty > 0), result, notes, signature,
      ...(revisit ? { revisit } : {}),
    }, step));
  };
  const priced = actions.priceFees(fees, s.tariff, swaps);
  const setSwap = (i, patch) => set({ equipment_swaps: swaps.map((x, j) => (j === i ? { ...x, ...patch } : x)) });
  const setFee = (i, patch) => set({ fees: fees.map((x, j) => (j === i ? { ...x, ...patch } : x)) });
  const setMat = (i, patch) => set({ materials: materials.map((x, j) => (j === i ? { ...x, ...patch } : x)) });
  return html`<div class="card tool">
    <${DraftMark} on=${isDraft} />
    <fieldset><legend>${itemLabel(linkedItem(step, 'operate.work_kinds'), t('workKinds'))}</legend><div class="seg">
      ${WORK_KINDS.map((k) => html`<label class="check"><input type="checkbox" value=${k} checked=${kinds.includes(k)}
        onChange=${(e) => set({ work_kinds: e.target.checked ? [...kinds, k] : kinds.filter((x) => x !== k) })} /><span>${t(k)}</span></label>`)}
    </div></fieldset>
    <fieldset><legend>${t('swaps')}</legend>
      ${swaps.map((sw, i) => html`<div class="swap">
        <label class="field">${t('kind')}<select value=${sw.kind} onChange=${(e) => setSwap(i, { kind: e.target.value })}>
          ${['set_top_box', 'remote_control', 'cable_modem', 'other'].map((k) => html`<option value=${k}>${t(k)}</option>`)}</select></label>
        <${Serial} label=${t('oldSerial')} value=${sw.old_serial} onValue=${(x) => setSwap(i, { old_serial: x })} />
        <${Serial} label=${t('newSerial')} value=${sw.new_serial} onValue=${(x) => setSwap(i, { new_serial: x })} />
        <label class="check"><input type="checkbox" data-swap-warranty=${i} checked=${!!sw.in_warranty}
          onChange=${(e) => setSwap(i, { in_warranty: e.target.checked })} /><span>${t('inWarranty')}</span></label>
      </div>`)}
      <button class="small" onClick=${() => set({
        // A swapped device is equipment replacement: the work kind follows, not asked again.
        // Out of warranty until the technician says otherwise: the price shows before anything is saved.
        equipment_swaps: [...swaps, { kind: 'set_top_box', old_serial: '', new_serial: '', in_warranty: false }],
        work_kinds: kinds.includes('equipment_replacement') ? kinds : [...kinds, 'equipment_replacement'],
      })}>+ ${t('addSwap')}</button>
    </fieldset>
    <fieldset><legend>${t('materials')}</legend>
      ${materials.map((m, i) => html`<div class="row"><label class="field">${t('materials')}<input value=${m.name} onInput=${(e) => setMat(i, { name: e.target.value })} /></label>
        <label class="field narrow">${t('qty')}<input type="number" min="0" value=${m.qty} onInput=${(e) => setMat(i, { qty: Number(e.target.value) })} /></label></div>`)}
      <button class="small" onClick=${() => set({ materials: [...materials, { name: '', qty: 1 }] })}>+ ${t('addMaterial')}</button>
    </fieldset>
    <fieldset><legend>${t('fees')}</legend>
      ${fees.map((f, i) => html`<div class="row"><label class="field">${t('feeItem')}<select data-fee=${i} value=${f.tariff_code} onChange=${(e) => setFee(i, { tariff_code: e.target.value })}>
          ${s.tariff.map((x) => html`<option value=${x.code}>${L(x.name)} (${money(x.price_cents)}/${L(x.unit)})</option>`)}</select></label>
        <label class="field narrow">${t('qty')}<input type="number" min="1" value=${f.qty} onInput=${(e) => setFee(i, { qty: Number(e.target.value) })} /></label></div>`)}
      <button class="small" disabled=${!s.tariff.length} onClick=${() => set({ fees: [...fees, { tariff_code: s.tariff[0].code, qty: 1 }] })}>+ ${t('addFee')}</button>
      ${priced.lines.filter((l) => l.swap).map((l) => html`<p class="muted" data-testid="swap-fee">${t('swapFee')}${t('colon')}${L(l.item.name)} ${l.in_warranty ? t('inWarrantyFree') : money(l.cents)}</p>`)}
      <p class="total" data-testid="fee-total">${t('total')}: ${money(priced.total_cents)}</p>
    </fieldset>
    <fieldset><legend>${t('result')}</legend><div class="seg">
      ${['fixed', 'not_fixed', 'needs_revisit'].map((r) => html`<label class="check"><input type="radio" name="result" value=${r} checked=${result === r}
        onChange=${() => set({ result: r })} /><span>${t(r)}</span></label>`)}
    </div></fieldset>
    ${unfixed && html`<fieldset data-testid="revisit"><legend>${t('revisitAgreed')} *</legend><div class="row">
      <label class="field">${t('revisitDay')}<input type="date" name="revisit_day" value=${form.revisit_day} onInput=${(e) => set({ revisit_day: e.target.value })} /></label>
      <label class="field">${t('windowStart')}<input type="time" name="revisit_start" value=${form.revisit_start} onInput=${(e) => set({ revisit_start: e.target.value })} /></label>
      <label class="field">${t('windowEnd')}<input type="time" name="revisit_end" value=${form.revisit_end} onInput=${(e) => set({ revisit_end: e.target.value })} /></label>
    </div></fieldset>`}
    <label class="field">${t('notes')}<input value=${notes} onInput=${(e) => set({ notes: e.target.value })} /></label>
    ${local.operate?.technician_signature_attachment_id && !isDraft
      ? html`<p class="ok" data-testid="technician-signed">✓ ${t('techSign')}</p>`
      : html`<${SignatureField} label=${`${t('techSign')} *`} canvasRef=${canvas} gap="signature:technician" strokes=${form.strokes}
          onStrokes=${(strokes) => setForm({ ...latest.current, strokes })} />`}
    <button disabled=${!result || !kinds.length || (unfixed && !revisit)} onClick=${save}>${local.operate && !isDraft ? `✓ ${t('saved')} · ` : ''}${t('save')}</button>
  </div>`;
}

function Serial({ label, value, onValue }) {
  const canScan = 'BarcodeDetector' in globalThis;
  return html`<div class="row"><label class="field">${label}<input value=${value} onInput=${(e) => onValue(e.target.value)} /></label>
    ${canScan && html`<label class="btnlink small">${t('scan')}<input class="hidden" type="file" accept="image/*" capture="environment"
      aria-label=${`${t('scan')}: ${label}`} onChange=${async (e) => { const code = await scanSerial(e.target.files[0]); if (code) onValue(code); }} /></label>`}</div>`;
}

/** Return the PNG Blob of what was drawn on a signature canvas. */
function pngOf(canvas) {
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
}

/**
 * Return a signature pad (signature_pad) with its clear button. The strokes (points in CSS pixels)
 * are the caller's draft, so a signature is redrawn after a kill; `canvasRef` gives the caller the
 * canvas to take the PNG from.
 */
function SignatureField({ label, canvasRef, gap, strokes, onStrokes }) {
  const pad = useRef(null);
  const latest = useRef(onStrokes);
  latest.current = onStrokes;
  useEffect(() => {
    let alive = true;
    import('signature_pad').then(({ default: SignaturePad }) => {
      if (!alive) return;
      const c = canvasRef.current;
      const ratio = Math.max(globalThis.devicePixelRatio || 1, 1);
      c.width = c.offsetWidth * ratio;
      c.height = c.offsetHeight * ratio;
      c.getContext('2d').scale(ratio, ratio);
      pad.current = new SignaturePad(c, { backgroundColor: 'rgb(255,255,255)' });
      if (strokes?.length) pad.current.fromData(strokes);
      pad.current.addEventListener('endStroke', () => latest.current(pad.current.toData()));
    });
    return () => { alive = false; pad.current?.off(); };
  }, []);
  return html`<div class="sigwrap"><span>${label}</span><canvas ref=${canvasRef} class="sig" aria-label=${label} role="img"
      tabindex="-1" data-gap=${gap}></canvas>
    <button class="small" onClick=${() => { pad.current?.clear(); onStrokes([]); }}>${t('clear')}</button></div>`;
}

function EvaluateTool({ ctx }) {
  const { local, id } = ctx;
  // The customer holds the phone: every tap and stroke is kept as a draft until 提交评价.
  const [form, setForm, isDraft] = useDraft(id, 'evaluate', {
    ratings: {}, mot: {}, comments: '', declined: false, reason: '', strokes: [],
  });
  const { ratings, mot, comments, declined, reason } = form;
  const set = (patch) => setForm({ ...form, ...patch });
  const latest = useRef(form);
  latest.current = form;
  const [preview, setPreview] = useState(false);
  const canvas = useRef(null);
  const root = useRef(null);
  if (local.evaluate) return html`<p class="card ok" role="status">✓ ${t('saved')}</p>`;
  const signed = (form.strokes || []).length > 0;
  const gaps = evaluationGaps({ ratings, mot, declined, reason, signed });
  const submit = async () => {
    const signature = declined ? null : await pngOf(canvas.current);
    await act((db) => actions.evaluate(db, id, { ratings, mot, comments, signature, declined: declined ? { reason } : null }));
  };
  // Take the person to what is missing: scroll it into view and put the focus on it.
  const goTo = (gap) => {
    const el = root.current.querySelector(`[data-gap="${gap.kind}:${gap.id}"]`);
    el?.scrollIntoView({ block: 'center' });
    el?.focus({ preventScroll: true });
  };
  const scale = t('mot_scale');
  return html`<div class="card tool evaluate" ref=${root}>
    <p class="hand">${t('evaluateHand')}</p>
    <${DraftMark} on=${isDraft} />
    <fieldset><legend>${t('ratings')}</legend>
      ${RATINGS.map((r) => html`<div class="rating" role="radiogroup" aria-label=${t(r)}><span>${t(r)}</span>
        ${[1, 2, 3, 4, 5].map((n) => html`<button class=${ratings[r] >= n ? 'star on' : 'star'} role="radio" aria-checked=${ratings[r] === n}
          data-gap=${n === 1 ? `rating:${r}` : undefined}
          aria-label=${`${t(r)} ${n}`} onClick=${() => set({ ratings: { ...ratings, [r]: n } })}>★</button>`)}</div>`)}
    </fieldset>
    <fieldset><legend>${t('mot')}</legend>
      ${MOMENTS.map((m) => html`<label class="field">${t(`mot_${m}`)}<select data-mot=${m} data-gap=${`mot:${m}`} value=${mot[m] ?? ''}
        onChange=${(e) => set({ mot: { ...mot, [m]: Number(e.target.value) } })}>
        <option value="" disabled>—</option>
        ${[3, 2, 1, 0, -1, -2, -3].map((n) => html`<option value=${n}>${n > 0 ? `+${n}` : n} ${scale[n]}</option>`)}</select></label>`)}
    </fieldset>
    <label class="field">${t('comments')}<textarea value=${comments} onInput=${(e) => set({ comments: e.target.value })}></textarea></label>
    <button onClick=${() => setPreview(true)}>${t('previewForms')}</button>
    ${preview && html`<${FormPreview} ctx=${ctx} ratings=${ratings} mot=${mot} comments=${comments} onClose=${() => setPreview(false)} />`}
    <label class="check"><input type="checkbox" checked=${declined} onChange=${(e) => set({ declined: e.target.checked })} /><span>${t('declined')}</span></label>
    ${declined
      ? html`<label class="field">${t('declineReason')}<input data-gap="reason:reason" value=${reason} onInput=${(e) => set({ reason: e.target.value })} /></label>`
      : html`<${SignatureField} label=${t('sign')} canvasRef=${canvas} gap="signature:signature" strokes=${form.strokes}
          onStrokes=${(strokes) => setForm({ ...latest.current, strokes })} />`}
    ${gaps.length > 0 && html`<div class="gaps" data-testid="eval-missing"><span>${t('missing')}${t('colon')}</span>
      ${gaps.map((g) => html`<button class="link" onClick=${() => goTo(g)}>${gapLabel(g)}</button>`)}</div>`}
    <button class="primary" disabled=${gaps.length > 0} onClick=${submit}>${t('submit')}</button>
  </div>`;
}

/** Name one missing part of the evaluation in words, e.g. 关键时刻评分：上门. */
function gapLabel(gap) {
  if (gap.kind === 'rating') return `${t('ratings')}${t('colon')}${t(gap.id)}`;
  if (gap.kind === 'mot') return `${t('mot')}${t('colon')}${t(`mot_${gap.id}`)}`;
  return gap.kind === 'reason' ? t('declineReason') : t('sign');
}

function FormPreview({ ctx, ratings, mot, comments, onClose }) {
  const { v, local, s } = ctx;
  const op = local.operate || {};
  const priced = actions.priceFees(op.fees || [], s.tariff, op.equipment_swaps || []);
  const user = s.session?.user || {};
  const phone = (v.customer.phones?.[0] || '').replace(/^(\d{3})\d+(\d{4})$/, '$1****$2');
  return html`<div class="preview" role="dialog" aria-modal="true" aria-label=${t('preview')}>
    <div class="watermark" aria-hidden="true">预览 PREVIEW</div>
    <p class="previewmark">预览 / PREVIEW</p>
    <h3>${t('serviceForm')}</h3>
    <dl>
      <dt>No.</dt><dd>${v.work_order.number}</dd>
      <dt>${L({ zh: '客户', en: 'Customer' })}</dt><dd>${v.customer.name} ${phone}</dd>
      <dt>${L({ zh: '地址', en: 'Address' })}</dt><dd>${v.customer.address}</dd>
      <dt>${L({ zh: '维护员', en: 'Technician' })}</dt><dd>${user.name} (${user.employee_no})</dd>
      <dt>${L({ zh: '预约时段', en: 'Window' })}</dt><dd>${fmtTime(v.appointment?.starts_at)}–${fmtTime(v.appointment?.ends_at)}</dd>
      <dt>${L({ zh: '到达', en: 'Arrived' })}</dt><dd>${fmtTime(local.checkin?.at)}</dd>
      <dt>${L({ zh: '故障/需求', en: 'Request' })}</dt><dd>${v.work_order.description}</dd>
      <dt>${t('workKinds')}</dt><dd>${(op.work_kinds || []).map((k) => t(k)).join('、')}</dd>
      <dt>${t('swaps')}</dt><dd>${(op.equipment_swaps || []).map((x) => `${t(x.kind)} ${x.old_serial} → ${x.new_serial}`).join('; ')}</dd>
      <dt>${t('result')}</dt><dd>${op.result ? t(op.result) : ''}</dd>
    </dl>
    <table><tbody>${priced.lines.map((l) => html`<tr><td>${L(l.item.name)}</td><td>${l.qty}</td><td>${money(l.cents)}</td></tr>`)}
      <tr><th colspan="2">${t('total')}</th><th>${money(priced.total_cents)}</th></tr></tbody></table>
    <h3>${t('feedbackForm')}</h3>
    <dl>${RATINGS.map((r) => html`<dt>${t(r)}</dt><dd>${ratings[r] ? '★'.repeat(ratings[r]) : '—'}</dd>`)}
      ${MOMENTS.map((m) => html`<dt>${t(`mot_${m}`)}</dt><dd>${mot[m] ?? '—'}</dd>`)}
      <dt>${t('comments')}</dt><dd>${comments}</dd></dl>
    <button class="primary" onClick=${onClose}>${t('back')}</button>
  </div>`;
}

const PRODUCTS = { broadband_upgrade: { zh: '宽带升级', en: 'Broadband upgrade' }, hd_box: { zh: '高清机顶盒', en: 'HD box' }, iptv: { zh: 'IPTV', en: 'IPTV' } };
const INTEREST = { high: { zh: '高', en: 'High' }, medium: { zh: '中', en: 'Medium' }, low: { zh: '低', en: 'Low' } };

function HelpTool({ ctx }) {
  const { local, id, flow } = ctx;
  const step = flow.steps.find((x) => x.id === 'help');
  const prev = local.help || {};
  const [form, setForm, isDraft] = useDraft(id, 'help', {
    checks: (prev.checks || []).join('\n'), leads: prev.leads || [], leaflet_given: !!prev.leaflet_given,
  });
  const { checks, leads, leaflet_given: leaflet } = form;
  const set = (patch) => setForm({ ...form, ...patch });
  const setLead = (i, patch) => set({ leads: leads.map((x, j) => (j === i ? { ...x, ...patch } : x)) });
  return html`<div class="card tool">
    <${DraftMark} on=${isDraft} />
    <label class="field">${itemLabel(linkedItem(step, 'help.checks'), t('checks'))}<textarea name="checks" value=${checks} onInput=${(e) => set({ checks: e.target.value })}></textarea></label>
    <fieldset><legend>${t('leads')}</legend>
      ${leads.map((ld, i) => html`<div class="row">
        <label class="field">${t('product')}<select value=${ld.product} onChange=${(e) => setLead(i, { product: e.target.value })}>
          ${Object.entries(PRODUCTS).map(([k, v]) => html`<option value=${k}>${L(v)}</option>`)}</select></label>
        <label class="field">${t('interest')}<select value=${ld.interest} onChange=${(e) => setLead(i, { interest: e.target.value })}>
          ${Object.entries(INTEREST).map(([k, v]) => html`<option value=${k}>${L(v)}</option>`)}</select></label></div>`)}
      <button class="small" onClick=${() => set({ leads: [...leads, { product: 'broadband_upgrade', interest: 'medium', notes: '' }] })}>+ ${t('addLead')}</button>
    </fieldset>
    <label class="check"><input type="checkbox" checked=${leaflet} onChange=${(e) => set({ leaflet_given: e.target.checked })} /><span>${itemLabel(linkedItem(step, 'help.leaflet_given'), t('leaflet'))}</span></label>
    <button onClick=${() => act((db) => actions.help(db, id, {
      checks: checks.split('\n').map((x) => x.trim()).filter(Boolean), leads, leaflet_given: leaflet,
    }, step))}>${local.help && !isDraft ? `✓ ${t('saved')} · ` : ''}${t('save')}</button>
  </div>`;
}

export const TOOLS = {
  call: CallTool, arrive: ArriveTool, communicate: CommunicateTool, operate: OperateTool, evaluate: EvaluateTool, help: HelpTool,
};
