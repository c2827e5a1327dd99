import { describe, expect, it } from 'vitest';
import {
  answersFromRecord, canComplete, checkinOffWindow, clockAt, currentStep, doorWithoutCall, evaluationGaps, fillScript, isAnswered, linkedItem, missingItems,
  outboxSummary, scriptValues, visitProgress,
} from '../src/flow.js';

const step = {
  id: 'operate',
  checklist: [
    { id: 'mat', kind: 'check', required: true },
    { id: 'desc', kind: 'text', required: true },
    { id: 'db', kind: 'number', required: true },
    { id: 'res', kind: 'choice', required: true, choices: [{ id: 'fixed' }, { id: 'not_fixed' }] },
    { id: 'after', kind: 'photo', required: true },
    { id: 'extra', kind: 'text', required: false },
  ],
};

describe('step rules', () => {
  it('completes a step only when every required item is answered', () => {
    const answers = { mat: true, desc: '无信号', db: 0, res: 'fixed', after: 'uuid-1' };
    expect(canComplete(step, answers)).toBe(true);
    expect(canComplete(step, { ...answers, mat: false })).toBe(false);
    expect(missingItems(step, { ...answers, desc: '  ', res: 'maybe' }).map((i) => i.id)).toEqual(['desc', 'res']);
  });

  it('judges each kind of answer', () => {
    expect(isAnswered({ kind: 'number' }, Number.NaN)).toBe(false);
    expect(isAnswered({ kind: 'number' }, '3')).toBe(false);
    expect(isAnswered({ kind: 'photo' }, '')).toBe(false);
    expect(isAnswered({ kind: 'check' }, 'true')).toBe(false);
  });

  it('finds the first step not completed', () => {
    const flow = { steps: [{ id: 'call' }, { id: 'arrive' }] };
    expect(currentStep(flow, ['call']).id).toBe('arrive');
    expect(currentStep(flow, ['call', 'arrive'])).toBe(null);
  });

});

describe('step records (the server checks them too)', () => {
  const call = { id: 'call', checklist: [{ id: 'no_wei', kind: 'check', required: true }] };

  it('needs a call that reached the customer before the call step completes', () => {
    const answers = { no_wei: true };
    expect(canComplete(call, answers, { calls: [{ outcome: 'no_answer' }] })).toBe(false);
    expect(canComplete(call, answers, { calls: [{ outcome: 'no_answer' }, { outcome: 'reached' }] })).toBe(true);
  });

  it('lets the call step complete unanswered after the flow number of unanswered calls (issue 10.5)', () => {
    const rules = { unanswered_calls_before_door: 2, unanswered_call_outcomes: ['no_answer', 'busy'] };
    const once = { calls: [{ outcome: 'no_answer' }] };
    const twice = { calls: [{ outcome: 'no_answer' }, { outcome: 'busy' }] };
    expect(canComplete(call, {}, once, rules)).toBe(false);
    expect(canComplete(call, {}, twice, rules)).toBe(true); // no conversation: no checklist asked
    expect(doorWithoutCall(twice, rules)).toHaveLength(2);
    expect(doorWithoutCall({ calls: [...twice.calls, { outcome: 'reached' }] }, rules)).toBe(null);
    expect(canComplete(call, {}, { calls: [...twice.calls, { outcome: 'reached' }] }, rules)).toBe(false);
  });

  it('needs the check-in before the arrive step completes', () => {
    const arrive = { id: 'arrive', checklist: [] };
    expect(canComplete(arrive, {}, { checkin: null })).toBe(false);
    expect(canComplete(arrive, {}, { checkin: { at: 'x' } })).toBe(true);
  });

  it('needs the work record signed by the technician before the operate step completes', () => {
    const operate = { id: 'operate', checklist: [] };
    expect(canComplete(operate, {}, { operate: { result: 'fixed' } })).toBe(false);
    expect(canComplete(operate, {}, { operate: { result: 'fixed', technician_signature_attachment_id: 'a' } })).toBe(true);
  });
});

describe('issue 14: what the person is told', () => {
  const flow = { steps: ['call', 'arrive', 'communicate', 'operate', 'evaluate', 'help'].map((id) => ({ id, title: { zh: id } })) };

  it('names each missing part of the evaluation, the signature last', () => {
    const ratings = { overall: 5, punctuality: 4, attitude: 5, professionalism: 5, tidiness: 5 };
    expect(evaluationGaps({ ratings, mot: { call: 1, communication: 0 }, signed: true })).toEqual([
      { kind: 'mot', id: 'arrival' }, { kind: 'mot', id: 'operation' }]);
    expect(evaluationGaps({ ratings: { overall: 3 }, mot: { call: 0, arrival: 0, communication: 0, operation: -3 } }).map((g) => g.id))
      .toEqual(['punctuality', 'attitude', 'professionalism', 'tidiness', 'signature']);
    const all = { ratings, mot: { call: 0, arrival: 0, communication: 0, operation: 0 } };
    expect(evaluationGaps({ ...all, declined: true, reason: '  ' })).toEqual([{ kind: 'reason', id: 'reason' }]);
    expect(evaluationGaps({ ...all, declined: true, reason: '不方便' })).toEqual([]);
    // A customer who declines gives no scores: none is asked for (issue 10.3).
    expect(evaluationGaps({ declined: true, reason: '不方便' })).toEqual([]);
  });

  it('shows the local progress of a visit: current step and how many are done', () => {
    const local = { completed: [], calls: [], knocks: [], checkin: null, done: false };
    expect(visitProgress(flow, local)).toBeNull();
    expect(visitProgress(flow, { ...local, completed: ['call', 'arrive', 'communicate'], checkin: { at: 'x' } }))
      .toMatchObject({ completed: 3, total: 6, index: 4, current: { id: 'operate' }, done: false });
    expect(visitProgress(flow, { ...local, completed: ['call'], done: true, no_access: { at: 'x' } })).toMatchObject({ done: true, noAccess: true });
  });

  it('warns of a check-in hours before the window or on a later day, not of a late one the same day', () => {
    const appt = { starts_at: '2026-12-04T10:00:00+08:00', ends_at: '2026-12-04T10:30:00+08:00' };
    expect(checkinOffWindow(appt, new Date('2026-12-03T04:00:00+08:00'))).toEqual({ early: 30 * 60 });
    expect(checkinOffWindow(appt, new Date('2026-12-04T09:05:00+08:00'))).toBeNull();
    expect(checkinOffWindow(appt, new Date('2026-12-04T08:59:00+08:00'))).toEqual({ early: 61 });
    expect(checkinOffWindow(appt, new Date('2026-12-04T15:00:00+08:00'))).toBeNull();
    expect(checkinOffWindow(appt, new Date('2026-12-05T09:00:00+08:00'))).toMatchObject({ late: expect.any(Number) });
  });

  it('sums the outbox up in visits waiting and visits needing attention', () => {
    expect(outboxSummary({ 1: { pending: 60, failed: 0 }, 2: { pending: 7, failed: 1 }, 3: { pending: 0, failed: 2 } }))
      .toEqual({ visits: 2, attention: 2, actions: 67 });
    expect(outboxSummary({})).toEqual({ visits: 0, attention: 0, actions: 0 });
  });
});

describe('issue 14: a question asked once, the answer shared by the record and the checklist', () => {
  const step = {
    id: 'operate',
    checklist: [
      { id: 'kind_of_work', kind: 'choice', required: true, record: 'operate.work_kinds',
        choices: [{ id: 'in_home', work_kind: 'in_home' }, { id: 'equipment_replaced', work_kind: 'equipment_replacement' }] },
      { id: 'fault_described', kind: 'text', required: true, record: 'operate.notes' },
      { id: 'checked', kind: 'check', required: true, record: 'operate.checks' },
      { id: 'leaflet', kind: 'check', required: false, record: 'operate.leaflet_given' },
      { id: 'plain', kind: 'check', required: true },
    ],
  };

  it('answers each linked item from the record, and leaves the rest alone', () => {
    expect(answersFromRecord(step, { work_kinds: ['installation', 'equipment_replacement'], notes: '无信号', checks: ['卧室电视'], leaflet_given: false }))
      .toEqual({ kind_of_work: 'equipment_replaced', fault_described: '无信号', checked: true, leaflet: false });
    // Nothing that means a choice, blank text: those items stay unanswered, so the step says they are missing.
    expect(answersFromRecord(step, { work_kinds: ['installation'], notes: '  ', checks: [] })).toEqual({ checked: false, leaflet: false });
    expect(linkedItem(step, 'operate.work_kinds').id).toBe('kind_of_work');
    expect(linkedItem(step, 'operate.result')).toBeNull();
  });
});

describe('the notice left at the door', () => {
  it('says when the technician came, in the forms\' timezone, and the technician\'s number to call', () => {
    expect(clockAt('2026-11-23T01:54:00Z', 'Asia/Shanghai')).toBe('09:54');
    const values = scriptValues({
      customer: { surname_title: { zh: '张先生', en: 'Mr. 张' } }, user: { name: '王明', phone: '13905910731' }, lang: 'zh', cameAt: '09:54',
    });
    expect(fillScript('[尊敬的{customer}|尊敬的客户]：[于{time}]按约上门。请[拨打{phone}]联系。', values))
      .toBe('尊敬的张先生：于09:54按约上门。请拨打13905910731联系。');
    expect(fillScript('[于{time}]按约上门。请[拨打{phone}]联系。', scriptValues({ lang: 'zh' }))).toBe('按约上门。请联系。');
  });
});
