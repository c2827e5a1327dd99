// The outbox: every action the technician takes, queued until the server has it.
import { isoLocal, uuid } from './db.js';
import { forgetDraft } from './drafts.js';

/** Return the local state of a visit as it looks before the technician has done anything. */
export function emptyVisit(workOrderId) {
  return {
    work_order_id: workOrderId,
    answers: {},
    completed: [],
    calls: [],
    late_notices: [],
    checkin: null,
    knocks: [],
    no_access: null,
    communicate: null,
    operate: null,
    evaluate: null,
    help: null,
    photos: [],
    done: false,
  };
}

/** List the attachment ids an op's data refers to (they must upload before the op). */
export function referencedAttachments(data) {
  return Object.entries(data || {})
    .filter(([k, v]) => k.endsWith('attachment_id') && typeof v === 'string' && v)
    .map(([, v]) => v);
}

/**
 * Record one action: its change to the local visit, its op(s) and any new blobs, in ONE transaction.
 *
 * `ops` is [{type, data, attachments?}]; `attachments` lists blob ids the op needs uploaded first
 * (found from `*attachment_id` fields when not given).
 * `update(visit, ops)` gets a copy of the visit's local state and returns the new state.
 * `blobs` are [{id, kind, blob, content_type}] to keep until their upload is confirmed.
 * `drafts` are the keys of the drafts this action saves: they go in the same transaction, so a
 * kill never leaves both the record and a stale draft of it, nor neither.
 */
export async function recordActions(db, { workOrderId, ops, update, blobs = [], drafts = [], at = new Date() }) {
  const made = ops.map(({ type, data = {}, attachments }) => ({
    op_id: uuid(),
    work_order_id: workOrderId,
    type,
    at: isoLocal(at),
    data,
    attachments: attachments || referencedAttachments(data),
    state: 'pending',
    result: null,
    queued_at: Date.now(),
  }));
  for (const key of drafts) forgetDraft(key);
  const tx = db.transaction(['visits', 'outbox', 'blobs', ...(drafts.length ? ['drafts'] : [])], 'readwrite');
  for (const key of drafts) tx.objectStore('drafts').delete(key);
  const visits = tx.objectStore('visits');
  const current = (await visits.get(workOrderId)) || emptyVisit(workOrderId);
  const next = update ? update(structuredClone(current), made) : current;
  if (next) await visits.put(next);
  for (const b of blobs) {
    await tx.objectStore('blobs').put({ ...b, work_order_id: workOrderId, uploaded: false, stored_at: Date.now() });
  }
  for (const op of made) op.seq = await tx.objectStore('outbox').add(op);
  await tx.done;
  return made;
}

/** Record an action that makes one op; return the op. */
export async function recordAction(db, { type, data = {}, ...rest }) {
  const [op] = await recordActions(db, { ...rest, ops: [{ type, data }] });
  return op;
}

/** Return the ops still waiting to be sent, oldest first. */
export async function pendingOps(db, limit = Infinity) {
  const store = db.transaction('outbox').store;
  const out = [];
  let range = null;
  // Read in chunks rather than one record per request: refused ops stay in the outbox and are skipped.
  for (;;) {
    const wanted = limit - out.length;
    const chunk = await store.getAll(range, Number.isFinite(wanted) ? wanted : undefined);
    out.push(...chunk.filter((op) => op.state === 'pending'));
    if (out.length >= limit || !(chunk.length >= wanted)) return out;
    range = IDBKeyRange.lowerBound(chunk[chunk.length - 1].seq, true);
  }
}

/** Return every op still in the outbox (pending and refused), oldest first. */
export function allOps(db) {
  return db.getAll('outbox');
}

/** Return the ops the server refused (conflict or rejected), oldest first. */
export async function refusedOps(db) {
  return (await db.getAll('outbox')).filter((op) => op.state === 'failed');
}

/** Count queued ops per work order: {work_order_id: {pending, failed}}. */
export async function countsByOrder(db) {
  const counts = {};
  for (const op of await db.getAll('outbox')) {
    const c = (counts[op.work_order_id] ||= { pending: 0, failed: 0 });
    c[op.state === 'failed' ? 'failed' : 'pending'] += 1;
  }
  return counts;
}

/** Put a refused op back in the queue, on the technician's request. */
export async function retryOp(db, seq) {
  const op = await db.get('outbox', seq);
  if (op) await db.put('outbox', { ...op, state: 'pending', result: null });
}

/** Remove a refused op, on the technician's explicit request after reading why it was refused. */
export async function discardOp(db, seq) {
  const op = await db.get('outbox', seq);
  if (op && op.state === 'failed') await db.delete('outbox', seq);
}

/** Return the local state of a visit (empty if nothing was done yet). */
export async function getVisit(db, workOrderId) {
  return (await db.get('visits', workOrderId)) || emptyVisit(workOrderId);
}

/** Delete photo and signature Blobs the server confirmed more than `ageMs` ago; return how many. */
export async function purgeUploadedBlobs(db, ageMs = 2 * 24 * 3600 * 1000, now = Date.now()) {
  const tx = db.transaction('blobs', 'readwrite');
  let purged = 0;
  let cursor = await tx.store.openCursor();
  while (cursor) {
    const b = cursor.value;
    if (b.uploaded && now - (b.uploaded_at || 0) > ageMs) {
      await cursor.delete();
      purged += 1;
    }
    cursor = await cursor.continue();
  }
  await tx.done;
  return purged;
}
