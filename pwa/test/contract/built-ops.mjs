// Print, as JSON, the /api/v1/sync request bodies the app sends for every action it can record.
// Each action is built by the app's own code (src/actions.js) with the shapes its screens pass,
// queued in a fake IndexedDB and sent by the real syncer; tests/visits/test_op_contract.py
// checks every body against the OpenAPI document the server publishes.
import { freshDB } from '../helpers.js';
import * as actions from '../../src/actions.js';
import { createSyncer } from '../../src/sync.js';

const png = () => new Blob(['png'], { type: 'image/png' });
const jpeg = () => new Blob(['jpeg'], { type: 'image/jpeg' });
const ORDER = 41;

async function record(db) {
  const day = '2026-12-03T02:00:00.000Z';
  await actions.callAttempt(db, ORDER, { outcome: 'reached', notes: '约好上午', fault_description: '无信号', window: { start: day, end: '2026-12-03T04:00:00.000Z' } });
  await actions.callAttempt(db, ORDER, { outcome: 'no_answer', notes: '', fault_description: '', window: null });
  await actions.phoneFix(db, ORDER + 3, '指导客户重新插好信号线');
  await actions.lateNotice(db, ORDER, { reason: '堵车', new_eta: day });
  await actions.checkin(db, ORDER, { lat: 26.08, lng: 119.3, accuracy_m: 12 });
  await actions.checkin(db, ORDER + 1, null);
  await actions.knock(db, ORDER, 1);
  await actions.noAccess(db, ORDER + 1, jpeg());
  await actions.answer(db, ORDER, 'call', 'greeting_by_time', true);
  await actions.answer(db, ORDER, 'call', 'fault_described', '机顶盒无信号');
  await actions.answer(db, ORDER, 'operate', 'kind_of_work', 'repair');
  await actions.answer(db, ORDER, 'call', 'greeting_by_time', null);
  await actions.addPhoto(db, ORDER, { step: 'operate', item: 'photo_before', blob: jpeg() });
  await actions.addPhoto(db, ORDER, { step: 'operate', blob: jpeg() });
  const step = { id: 'call', checklist: [{ id: 'greeting_by_time', kind: 'check', required: true }] };
  await actions.completeStep(db, ORDER, step, { greeting_by_time: true }, null);
  await actions.correctAnswer(db, ORDER, 'call', 'greeting_by_time', false, '实际未按时间问候');
  await actions.communicate(db, ORDER, { customer_description: '电视没有信号', customer_style: 'owl', needs: ['information'] });
  await actions.operate(db, ORDER, {
    work_kinds: ['equipment_replacement'],
    equipment_swaps: [{ kind: 'set_top_box', old_serial: 'STB-1', new_serial: 'STB-2', in_warranty: false }],
    materials: [{ name: 'F头', qty: 2, unit: '个' }],
    fees: [{ tariff_code: 'F_CONNECTOR', qty: 2 }],
    result: 'fixed',
    notes: '',
    signature: png(),
  });
  await actions.operate(db, ORDER + 4, {
    work_kinds: ['outdoor_line_check'], equipment_swaps: [], materials: [], fees: [], result: 'not_fixed', notes: '需要线路支撑',
    revisit: { start: '2026-12-05T02:00:00.000Z', end: '2026-12-05T04:00:00.000Z' },
  });
  const ratings = { overall: 5, punctuality: 5, attitude: 5, professionalism: 4, tidiness: 5 };
  const mot = { call: 2, arrival: 1, communication: 3, operation: -1 };
  await actions.evaluate(db, ORDER, { ratings, mot, comments: '很满意', signature: png(), declined: null });
  await actions.evaluate(db, ORDER + 2, { ratings, mot, comments: '', signature: null, declined: { reason: '不方便' } });
  await actions.help(db, ORDER, { checks: ['other_tv_ok'], leads: [{ product: 'broadband_upgrade', interest: 'medium', notes: '' }], leaflet_given: true });
  await actions.completeVisit(db, ORDER);
}

const db = await freshDB();
await record(db);
const bodies = [];
const fetch = async (url, init) => {
  const reply = (status, body) => ({ status, ok: status < 300, json: async () => body });
  if (!url.endsWith('/api/v1/sync')) return reply(201, {});
  const body = JSON.parse(init.body);
  bodies.push(body);
  return reply(200, { results: body.ops.map((op) => ({ op_id: op.op_id, status: 'applied' })), server_time: new Date().toISOString() });
};
await createSyncer({ db, fetch }).drain();
process.stdout.write(JSON.stringify(bodies));
