import { describe, expect, it } from 'vitest';
import { nextStepFor, setLang } from '../src/i18n.js';

describe('refusals in words', () => {
  it('tells the technician what to do next, in Chinese by default and in English', () => {
    setLang('zh');
    expect(nextStepFor({ status: 'conflict', code: 'order_cancelled' })).toContain('调度已取消此工单');
    expect(nextStepFor({ status: 'rejected', code: 'something_new' })).toContain('联系调度');
    setLang('en');
    expect(nextStepFor({ status: 'conflict', code: 'order_cancelled' })).toContain('The dispatcher cancelled this order');
    setLang('zh');
  });
});
