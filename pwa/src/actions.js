// What the technician does during a visit: each function records one action (local change + ops).
import { uuid } from './db.js';
import { draftKey } from './drafts.js';
import { answersFromRecord, canComplete, itemsToAnswer } from './flow.js';
import { recordAction, recordActions } from './outbox.js';

/** Answer one checklist item of a step. */
export function answer(db, workOrderId, step, item, value) {
  return recordAction(db, {
    workOrderId, type: 'checklist.answer', data: { step, item, value },
    drafts: [draftKey(workOrderId, `answer:${step}:${item}`)],
    update: (v) => {
      v.answers[step] = { ...(v.answers[step] || {}), [item]: value };
      return v;
    },
  });
}

/**
 * Correct an answer of a completed step (its answers are locked): the new value and the reason,
 * kept with the answer as its history (the server records the correction as its own event).
 */
export function correctAnswer(db, workOrderId, step, item, value, reason) {
  return recordAction(db, {
    workOrderId, type: 'checklist.correct', data: { step, item, value, reason },
    update: (v) => {
      const before = v.answers[step]?.[item];
      v.answers[step] = { ...(v.answers[step] || {}), [item]: value };
      v.corrections = [...(v.corrections || []), { step, item, from: before ?? null, to: value, reason, at: new Date().toISOString() }];
      return v;
    },
  });
}

/**
 * Record a step's record op together with the checklist answers it gives (`record:` links in the
 * flow), in one transaction: the item is asked once and the server gets both answers.
 */
function recordWithAnswers(db, { workOrderId, step, type, data, update, drafts = [], blobs = [] }) {
  const answers = answersFromRecord(step, data);
  const ops = [{ type, data }, ...Object.entries(answers).map(([item, value]) => ({
    type: 'checklist.answer', data: { step: step.id, item, value } }))];
  return recordActions(db, {
    workOrderId, ops, blobs, drafts,
    update: (v) => {
      const next = update(v);
      if (Object.keys(answers).length) next.answers[step.id] = { ...(next.answers[step.id] || {}), ...answers };
      return next;
    },
  }).then((made) => made[0]);
}

/** Keep a photo (already compressed): as the answer of a photo checklist item, or linked to a step. */
export async function addPhoto(db, workOrderId, { step, item, blob, kind = 'photo' }) {
  const id = uuid();
  const op = item
    ? { type: 'checklist.answer', data: { step, item, value: id }, attachments: [id] }
    : { type: 'attachment.link', data: { attachment_id: id, step, kind } };
  await recordActions(db, {
    workOrderId, ops: [op],
    blobs: [{ id, kind, blob, content_type: blob.type || 'image/jpeg' }],
    update: (v) => {
      v.photos.push({ id, step, item: item || null, kind });
      if (item) v.answers[step] = { ...(v.answers[step] || {}), [item]: id };
      return v;
    },
  });
  return id;
}

/** Complete a step; refuse (as the server would) while a required item is unanswered or its record missing. */
export function completeStep(db, workOrderId, step, answers, visit, rules = null) {
  if (!canComplete(step, answers, visit, rules)) {
    const missing = itemsToAnswer(step, answers, visit, rules).map((i) => i.id);
    throw Object.assign(new Error(`step ${step.id} has unanswered items: ${missing.join(', ')}`), { missing });
  }
  return recordAction(db, {
    workOrderId, type: 'step.complete', data: { step: step.id },
    update: (v) => {
      if (!v.completed.includes(step.id)) v.completed.push(step.id);
      return v;
    },
  });
}

/** Log one phone call attempt: outcome, greeting, the confirmed window, notes; with the call step, the fault answers its item. */
export function callAttempt(db, workOrderId, { outcome, window, notes, fault_description, greeting }, step = null) {
  const data = { outcome };
  if (greeting) data.greeting = greeting; // the greeting shown at the moment of the call (its id)
  if (window?.start && window?.end) data.window = window;
  if (fault_description) data.fault_description = fault_description;
  if (notes) data.notes = notes;
  return recordWithAnswers(db, {
    workOrderId, step, type: 'call.attempt', data, drafts: [draftKey(workOrderId, 'call')],
    update: (v) => {
      v.calls.push({ ...data, at: new Date().toISOString() });
      return v;
    },
  });
}

/** Close the order as fixed by phone guidance on the call (电话指导), with what the guidance fixed. */
export function phoneFix(db, workOrderId, notes) {
  return recordAction(db, {
    workOrderId, type: 'call.phone_fix', data: { notes },
    update: (v) => ({ ...v, phone_fix: { notes, at: new Date().toISOString() }, done: true }),
  });
}

/** Record that the customer was told the technician will be late, with the new arrival time. */
export function lateNotice(db, workOrderId, { reason, new_eta }) {
  return recordAction(db, {
    workOrderId, type: 'call.late_notice', data: { reason, new_eta },
    update: (v) => {
      v.late_notices.push({ reason, new_eta, at: new Date().toISOString() });
      return v;
    },
  });
}

/** Check in at the door, with the location when the technician allowed it. */
export function checkin(db, workOrderId, position) {
  const data = position ? { lat: position.lat, lng: position.lng, accuracy_m: position.accuracy_m } : {};
  return recordAction(db, {
    workOrderId, type: 'arrive.checkin', data,
    update: (v) => {
      v.checkin = { ...data, at: new Date().toISOString() };
      return v;
    },
  });
}

/** Record one knock round at the door. */
export function knock(db, workOrderId, round) {
  return recordAction(db, {
    workOrderId, type: 'arrive.knock', data: { round },
    update: (v) => {
      v.knocks.push({ round, at: new Date().toISOString() });
      return v;
    },
  });
}

/** End the visit as no access, with the photo of the notice left at the door (留单). */
export async function noAccess(db, workOrderId, noticeBlob) {
  const id = uuid();
  await recordActions(db, {
    workOrderId,
    ops: [{ type: 'arrive.no_access', data: { notice_attachment_id: id } }],
    blobs: [{ id, kind: 'notice', blob: noticeBlob, content_type: noticeBlob.type || 'image/jpeg' }],
    update: (v) => {
      v.no_access = { notice_attachment_id: id, at: new Date().toISOString() };
      v.done = true;
      return v;
    },
  });
  return id;
}

/** Record what the customer said, their style and needs. */
export function communicate(db, workOrderId, { customer_description, customer_style, needs }) {
  const data = { customer_description, customer_style, needs };
  return recordAction(db, {
    workOrderId, type: 'communicate.record', data, drafts: [draftKey(workOrderId, 'communicate')],
    update: (v) => ({ ...v, communicate: data }),
  });
}

/**
 * Record the work done: kinds, equipment swaps, materials, fees from the tariff, result (and the items
 * it answers), signed by the technician (`signature`, a PNG Blob): the step completes only signed.
 */
export function operate(db, workOrderId, { signature = null, ...record }, step = null) {
  const data = { ...record };
  const blobs = [];
  if (signature) {
    data.technician_signature_attachment_id = uuid();
    blobs.push({ id: data.technician_signature_attachment_id, kind: 'signature', blob: signature, content_type: 'image/png' });
  }
  return recordWithAnswers(db, {
    workOrderId, step, type: 'operate.record', data, blobs, drafts: [draftKey(workOrderId, 'operate')], update: (v) => ({ ...v, operate: data }),
  });
}

/** Record the customer's evaluation with their signature (a PNG Blob), or declined with a reason. */
export async function evaluate(db, workOrderId, { ratings, mot, comments, signature, declined }) {
  const data = { comments };
  const blobs = [];
  if (declined) {
    data.declined = declined; // the customer's refusal: no scores are sent in their name
  } else {
    Object.assign(data, { ratings, mot });
    data.signature_attachment_id = uuid();
    blobs.push({ id: data.signature_attachment_id, kind: 'signature', blob: signature, content_type: 'image/png' });
  }
  return recordAction(db, {
    workOrderId, type: 'evaluate.submit', data, blobs, drafts: [draftKey(workOrderId, 'evaluate')],
    update: (v) => ({ ...v, evaluate: data }),
  });
}

/** Record the extra help: checks done, leads, leaflet (and the items they answer). */
export function help(db, workOrderId, data, step = null) {
  return recordWithAnswers(db, {
    workOrderId, step, type: 'help.record', data, drafts: [draftKey(workOrderId, 'help')], update: (v) => ({ ...v, help: data }),
  });
}

/** Finish the visit once every step is complete. */
export function completeVisit(db, workOrderId) {
  return recordAction(db, { workOrderId, type: 'visit.complete', data: {}, update: (v) => ({ ...v, done: true }) });
}

/**
 * Return the fee lines priced from the tariff and their total in cents, as the server prices them:
 * the fees (unknown codes left out), then each swap the tariff prices (its item's `swap`): free in
 * warranty, the item's price out of warranty (《售后服务管理规定》).
 */
export function priceFees(fees, tariff, swaps = []) {
  const byCode = new Map(tariff.map((t) => [t.code, t]));
  const bySwap = new Map(tariff.filter((t) => t.swap).map((t) => [t.swap, t]));
  const lines = fees
    .filter((f) => byCode.has(f.tariff_code) && f.qty > 0)
    .map((f) => ({ ...f, item: byCode.get(f.tariff_code), cents: byCode.get(f.tariff_code).price_cents * f.qty }));
  const swapLines = swaps
    .filter((sw) => bySwap.has(sw.kind))
    .map((sw) => ({
      tariff_code: bySwap.get(sw.kind).code, qty: 1, item: bySwap.get(sw.kind), swap: true,
      in_warranty: !!sw.in_warranty, cents: sw.in_warranty ? 0 : bySwap.get(sw.kind).price_cents,
    }));
  const all = [...lines, ...swapLines];
  return { lines: all, total_cents: all.reduce((s, l) => s + l.cents, 0) };
}
