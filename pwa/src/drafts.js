// Drafts: what is typed or drawn in a form before its save button, kept in IndexedDB as it is
// filled, so a killed app or a locked phone loses at most the last fraction of a second.
// A draft is removed in the same transaction as the action that saves it (outbox.recordActions).

// How long a change may wait before it is written: writes are grouped, never postponed by more
// typing, so a kill at any keystroke loses at most this much.
export const DRAFT_DELAY_MS = 300;

const pending = new Map();
// The latest value of every draft changed in this session, written or not, until its form is saved.
const typed = new Map();
let timer = null;
let target = null;

/** Return the key of one form's draft, e.g. `12:evaluate` or `12:answer:call:fault_described`. */
export function draftKey(workOrderId, form) {
  return `${workOrderId}:${form}`;
}

/** Queue a draft to be written within DRAFT_DELAY_MS (the latest value of each form wins). */
export function queueDraft(db, workOrderId, form, value, delay = DRAFT_DELAY_MS) {
  const key = draftKey(workOrderId, form);
  pending.set(key, { key, work_order_id: workOrderId, form, value, at: Date.now() });
  typed.set(key, value);
  target = db;
  if (!timer) timer = setTimeout(flushDrafts, delay);
}

/** Write every queued draft now (also when the page is hidden: the phone may kill it next). */
export async function flushDrafts() {
  clearTimeout(timer);
  timer = null;
  if (!pending.size || !target) return;
  const rows = [...pending.values()];
  pending.clear();
  const tx = target.transaction('drafts', 'readwrite');
  for (const row of rows) tx.store.put(row);
  await tx.done;
}

/** Drop a queued write of this draft (its form is being saved, so the draft must not come back). */
export function forgetDraft(key) {
  pending.delete(key);
  typed.delete(key);
}

/** Return the drafts changed in this session as {key: value} (newer than what IndexedDB may hold yet). */
export function draftsTyped() {
  return Object.fromEntries(typed);
}

/** Return every stored draft as {key: value}. */
export async function loadDrafts(db) {
  return Object.fromEntries((await db.getAll('drafts')).map((row) => [row.key, row.value]));
}
