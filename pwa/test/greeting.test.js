// The call greeting by the time of the call, the customer as surname + title, scripts without placeholders.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { customerAddress, fillScript, greetingAt, scriptValues } from '../src/flow.js';

// The rules exactly as the agenda serves them (tests/greetings checks this file against the server).
const RULES = JSON.parse(readFileSync(new URL('./fixtures/greeting_rules.json', import.meta.url), 'utf8'));
const CASES = JSON.parse(readFileSync(new URL('./fixtures/fill_cases.json', import.meta.url), 'utf8'));
const at = (iso) => new Date(iso); // written with the Shanghai offset

describe('greeting at the moment of the call', () => {
  it.each([
    ['2026-06-15T00:00+08:00', 'night', '晚上好'],
    ['2026-06-15T04:59+08:00', 'night', '晚上好'],
    ['2026-06-15T05:00+08:00', 'early_morning', '早上好'],
    ['2026-06-15T08:30+08:00', 'early_morning', '早上好'],
    ['2026-06-15T08:59+08:00', 'early_morning', '早上好'],
    ['2026-06-15T09:00+08:00', 'morning', '上午好'],
    ['2026-06-15T11:29+08:00', 'morning', '上午好'],
    ['2026-06-15T11:30+08:00', 'noon', '中午好'],
    ['2026-06-15T13:29+08:00', 'noon', '中午好'],
    ['2026-06-15T13:30+08:00', 'afternoon', '下午好'],
    ['2026-06-15T17:59+08:00', 'afternoon', '下午好'],
    ['2026-06-15T18:00+08:00', 'evening', '晚上好'],
    ['2026-06-15T23:59+08:00', 'evening', '晚上好'],
  ])('%s → %s', (iso, id, zh) => {
    expect(greetingAt(RULES, at(iso))).toMatchObject({ id, zh });
  });

  it('reads the clock in Shanghai whatever the phone\'s zone: 00:30 UTC is 08:30 there', () => {
    expect(greetingAt(RULES, at('2026-06-15T00:30Z')).zh).toBe('早上好');
    expect(greetingAt(RULES, at('2026-06-15T10:00Z')).zh).toBe('晚上好');
  });

  it('says 新年好 from the first minute of 除夕 to the last of 元宵, then the time of day again', () => {
    // 2026: 除夕 16 February, 元宵 3 March; 2027: 除夕 5 February, 元宵 20 February.
    expect(greetingAt(RULES, at('2026-02-15T23:59+08:00')).zh).toBe('晚上好');
    expect(greetingAt(RULES, at('2026-02-16T00:00+08:00'))).toEqual({ id: 'new_year', zh: '新年好', en: 'Happy New Year' });
    expect(greetingAt(RULES, at('2026-03-03T23:59+08:00')).zh).toBe('新年好');
    expect(greetingAt(RULES, at('2026-03-04T00:00+08:00')).zh).toBe('晚上好');
    expect(greetingAt(RULES, at('2027-02-05T10:00+08:00')).zh).toBe('新年好');
    expect(greetingAt(RULES, at('2027-02-04T10:00+08:00')).zh).toBe('上午好');
    // 2026-02-15 17:30 UTC is 01:30 on 除夕 in Shanghai.
    expect(greetingAt(RULES, at('2026-02-15T17:30Z')).zh).toBe('新年好');
  });

  it('has no greeting before the rules were downloaded', () => {
    expect(greetingAt(null)).toBe(null);
  });
});

describe('the customer addressed by surname and title', () => {
  it('uses the form the agenda gives, in the screen\'s language', () => {
    const customer = { name: '欧阳娜娜', title: '女士', surname_title: { zh: '欧阳女士', en: 'Ms. 欧阳' } };
    expect(customerAddress(customer)).toBe('欧阳女士');
    expect(customerAddress(customer, 'en')).toBe('Ms. 欧阳');
  });

  it('never falls back to the full name when no title is recorded', () => {
    expect(customerAddress({ name: '张三', title: null, surname_title: null })).toBe('');
  });

  it('fills the opening with 张先生 and, without a title or a branch, says the sentence without them', () => {
    const opening = '您好[，{customer}]，我是福建广电网络[{branch}分公司]的维护员[{technician}]，想了解一下您家的故障情况，可以吗？';
    const zhang = { name: '张三', surname_title: { zh: '张先生', en: 'Mr. 张' } };
    const user = { name: '李明', branch: '鼓楼', employee_no: 'FZ0042' };
    expect(fillScript(opening, scriptValues({ customer: zhang, user, lang: 'zh' })))
      .toBe('您好，张先生，我是福建广电网络鼓楼分公司的维护员李明，想了解一下您家的故障情况，可以吗？');
    const filled = fillScript(opening, scriptValues({ customer: { name: '张三' }, user: { name: '李明' }, lang: 'zh' }));
    expect(filled).toBe('您好，我是福建广电网络的维护员李明，想了解一下您家的故障情况，可以吗？');
    expect(filled).not.toMatch(/[{}[\]]|××|张三/);
  });

  it.each(CASES.map((c) => [c.filled, c]))('fills as the server does: %s', (filled, c) => {
    expect(fillScript(c.text, c.values)).toBe(filled);
  });
});
