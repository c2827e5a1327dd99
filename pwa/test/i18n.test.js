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

  it("states the refused knock protocol with the flow's own figures", () => {
    const result = {
      status: 'rejected',
      code: 'knock_protocol_incomplete',
      errors: {
        knocks: ['6 knock rounds'],
        protocol: { knock_interval_seconds: 20, knock_sets_per_round: 2, knocks_per_set: 4, call_after_knocking_seconds: 150, call_after_knocking_minutes: 2.5 },
      },
    };
    setLang('zh');
    expect(nextStepFor(result)).toContain('每20秒一轮、每轮连续轻敲2次每次4下，敲满2.5分钟后再致电客户');
    setLang('en');
    expect(nextStepFor(result)).toContain('a round of 2 sets of 4 knocks every 20 s for 2.5 min');
    setLang('zh');
  });
});
