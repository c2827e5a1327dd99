import { describe, expect, it } from 'vitest';
import { canComplete, currentStep, fillScript, isAnswered, missingItems } from '../src/flow.js';

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

  it('needs the check-in before the arrive step completes', () => {
    const arrive = { id: 'arrive', checklist: [] };
    expect(canComplete(arrive, {}, { checkin: null })).toBe(false);
    expect(canComplete(arrive, {}, { checkin: { at: 'x' } })).toBe(true);
  });
});
