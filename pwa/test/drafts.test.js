import { describe, expect, it } from 'vitest';
import { freshDB } from './helpers.js';
import * as actions from '../src/actions.js';
import { DRAFT_DELAY_MS, draftKey, draftsTyped, flushDrafts, loadDrafts, queueDraft } from '../src/drafts.js';
import { pendingOps } from '../src/outbox.js';

const wait = (ms) => new Promise((r) => setTimeout(r, ms));

describe('drafts', () => {
  it('writes what is typed within the delay, even while typing goes on, the latest value winning', async () => {
    const db = await freshDB();
    queueDraft(db, 7, 'answer:call:fault_described', '机');
    await wait(DRAFT_DELAY_MS / 2);
    queueDraft(db, 7, 'answer:call:fault_described', '机顶盒');
    await wait(DRAFT_DELAY_MS / 2 + 50);
    // Typing did not push the write back: it is in IndexedDB one delay after the first keystroke.
    expect(await loadDrafts(db)).toEqual({ '7:answer:call:fault_described': '机顶盒' });
    expect(await pendingOps(db)).toEqual([]);
  });

  it('is written at once when flushed (the page is hidden)', async () => {
    const db = await freshDB();
    queueDraft(db, 7, 'evaluate', { ratings: { overall: 5 }, strokes: [{ points: [{ x: 1, y: 2 }] }] });
    await flushDrafts();
    expect((await loadDrafts(db))['7:evaluate'].ratings).toEqual({ overall: 5 });
  });

  it('goes in the same transaction as the action that saves the form, and a queued write never brings it back', async () => {
    const db = await freshDB();
    queueDraft(db, 7, 'communicate', { customer_description: '没信号' });
    await flushDrafts();
    queueDraft(db, 7, 'communicate', { customer_description: '没信号了' });
    await actions.communicate(db, 7, { customer_description: '没信号了', customer_style: 'owl', needs: [] });
    await flushDrafts();
    expect(await loadDrafts(db)).toEqual({});
    expect(draftsTyped()).not.toHaveProperty(draftKey(7, 'communicate'));
    expect((await pendingOps(db)).map((op) => op.type)).toEqual(['communicate.record']);
  });

  it('of a checklist text is cleared by answering the item', async () => {
    const db = await freshDB();
    queueDraft(db, 7, 'answer:call:fault_described', '无信号');
    await flushDrafts();
    await actions.answer(db, 7, 'call', 'fault_described', '无信号');
    expect(await loadDrafts(db)).toEqual({});
  });
});
