import { describe, expect, it } from 'vitest';
import { freshDB } from './helpers.js';
import * as actions from '../src/actions.js';
import { getVisit, pendingOps } from '../src/outbox.js';

const png = () => new Blob(['png'], { type: 'image/png' });

describe('technician actions', () => {
  it('answers a photo item with the photo, which uploads before the answer', async () => {
    const db = await freshDB();
    const id = await actions.addPhoto(db, 5, { step: 'operate', item: 'photo_before', blob: new Blob(['j'], { type: 'image/jpeg' }) });
    const [op] = await pendingOps(db);
    expect(op).toMatchObject({ type: 'checklist.answer', data: { step: 'operate', item: 'photo_before', value: id }, attachments: [id] });
    expect((await getVisit(db, 5)).answers.operate.photo_before).toBe(id);
    expect(await db.get('blobs', id)).toMatchObject({ kind: 'photo', uploaded: false });
  });

  it('keeps the signature as a PNG referenced by the evaluation', async () => {
    const db = await freshDB();
    const ratings = { overall: 5, punctuality: 5, attitude: 5, professionalism: 5, tidiness: 4 };
    const mot = { call: 1, arrival: 2, communication: 0, operation: 3 };
    const op = await actions.evaluate(db, 5, { ratings, mot, comments: '好', signature: png() });
    expect(op.attachments).toEqual([op.data.signature_attachment_id]);
    expect((await db.get('blobs', op.data.signature_attachment_id)).content_type).toBe('image/png');
  });

  it('keeps the technician\'s signature of the work record as a PNG the record references', async () => {
    const db = await freshDB();
    const record = { work_kinds: ['in_home'], equipment_swaps: [], materials: [], fees: [], result: 'fixed', notes: '' };
    const op = await actions.operate(db, 5, { ...record, signature: png() });
    const id = op.data.technician_signature_attachment_id;
    expect(op.attachments).toEqual([id]);
    expect(op.data.signature).toBeUndefined();
    expect(await db.get('blobs', id)).toMatchObject({ kind: 'signature', content_type: 'image/png' });
    // Saved again unsigned: the record carries no signature (the step waits for a new one).
    const again = await actions.operate(db, 5, { ...record, notes: '改了' });
    expect(again.data.technician_signature_attachment_id).toBeUndefined();
  });

  it('records a declined evaluation with its reason, no image and no scores in the customer\'s name', async () => {
    const db = await freshDB();
    const typed = { overall: 5, punctuality: 5, attitude: 5, professionalism: 5, tidiness: 5 };
    const op = await actions.evaluate(db, 5, { ratings: typed, mot: { call: 3 }, comments: '', declined: { reason: '不方便' } });
    expect(op.data).toMatchObject({ declined: { reason: '不方便' } });
    expect(op.data.ratings).toBeUndefined();
    expect(op.data.mot).toBeUndefined();
    expect(op.data.signature_attachment_id).toBeUndefined();
    expect(await db.getAll('blobs')).toEqual([]);
  });

  it('refuses to complete a step with a required item unanswered, and queues nothing', async () => {
    const db = await freshDB();
    const step = { id: 'arrive', checklist: [{ id: 'badge_shown', kind: 'check', required: true }] };
    expect(() => actions.completeStep(db, 5, step, {}, { checkin: { at: 'x' } })).toThrow(/badge_shown/);
    expect(await pendingOps(db)).toEqual([]);
    await actions.completeStep(db, 5, step, { badge_shown: true }, { checkin: { at: 'x' } });
    expect((await getVisit(db, 5)).completed).toEqual(['arrive']);
  });

  it('prices fees only from the tariff, with a running total', () => {
    const tariff = [{ code: 'STB_HD', price_cents: 29900 }, { code: 'F_CONNECTOR', price_cents: 100 }];
    const priced = actions.priceFees([{ tariff_code: 'STB_HD', qty: 1 }, { tariff_code: 'F_CONNECTOR', qty: 4 }, { tariff_code: 'TIP', qty: 1 }], tariff);
    expect(priced.total_cents).toBe(30300);
    expect(priced.lines.map((l) => l.tariff_code)).toEqual(['STB_HD', 'F_CONNECTOR']);
  });

  it('prices swaps by warranty status from the tariff item for their kind, as the server does', () => {
    const tariff = [{ code: 'STB_HD', price_cents: 29900, swap: 'set_top_box' }, { code: 'F_CONNECTOR', price_cents: 100 }];
    const swaps = [{ kind: 'set_top_box', in_warranty: true }, { kind: 'set_top_box', in_warranty: false }, { kind: 'other', in_warranty: false }];
    const priced = actions.priceFees([{ tariff_code: 'F_CONNECTOR', qty: 2 }], tariff, swaps);
    expect(priced.lines.map((l) => [l.tariff_code, l.cents])).toEqual([['F_CONNECTOR', 200], ['STB_HD', 0], ['STB_HD', 29900]]);
    expect(priced.total_cents).toBe(30100);
  });
});

describe('a record that answers checklist items', () => {
  it('queues the record and the answers it gives in one go, and shows them locally', async () => {
    const db = await freshDB();
    const step = { id: 'call', checklist: [{ id: 'fault_described', kind: 'text', required: true, record: 'call.fault_description' }] };
    await actions.callAttempt(db, 5, { outcome: 'reached', fault_description: '没信号' }, step);
    expect((await pendingOps(db)).map((op) => [op.type, op.data])).toEqual([
      ['call.attempt', { outcome: 'reached', fault_description: '没信号' }],
      ['checklist.answer', { step: 'call', item: 'fault_described', value: '没信号' }],
    ]);
    expect((await getVisit(db, 5)).answers.call).toEqual({ fault_described: '没信号' });
  });
});
