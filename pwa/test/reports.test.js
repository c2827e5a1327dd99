// The manager's view: figures as shown, trends, CSV equal to the table, and charts that draw.
import { afterEach, describe, expect, it } from 'vitest';
import { init } from 'echarts/core';
import { setLang } from '../src/i18n.js';
import { formatValue, monthRange, previousMonth, toCsv, trendOf } from '../src/console/reports/figures.js';
import { chartOption, describeChart } from '../src/console/reports/charts.js';

afterEach(() => setLang('zh'));

describe('figures as the manager reads them', () => {
  it('shows rates as percentages, scores signed, nothing as a dash (never as zero)', () => {
    expect(formatValue(0.875, 'rate')).toBe('87.5%');
    expect(formatValue(1.5, 'score')).toBe('+1.50');
    expect(formatValue(-0.25, 'score')).toBe('-0.25');
    expect(formatValue(4.2, 'rating')).toBe('4.20');
    expect(formatValue(12, 'count')).toBe('12');
    expect(formatValue(null, 'rate')).toBe('—');
    expect(formatValue(0, 'rate')).toBe('0.0%');
  });

  it('gives the trend in points for a rate and says whether it is good news', () => {
    setLang('zh');
    expect(trendOf(0.9, 0.85, 'rate', 'up')).toMatchObject({ direction: 'up', good: true, text: '+5.0个百分点' });
    setLang('en');
    expect(trendOf(0.1, 0.15, 'rate', 'down')).toMatchObject({ direction: 'down', good: true, text: '-5.0 pts' });
    expect(trendOf(7, 4, 'count', 'down')).toMatchObject({ direction: 'up', good: false, text: '+3' });
    expect(trendOf(0.5, 0.5, 'rate')).toMatchObject({ direction: 'flat', good: null });
    // No previous period (a new branch): no trend rather than an invented one.
    expect(trendOf(0.5, null, 'rate')).toBeNull();
    expect(trendOf(null, 0.5, 'rate')).toBeNull();
  });

  it('knows a month’s first and last day, leap years and the month before January', () => {
    expect(monthRange('2026-11')).toEqual({ from: '2026-11-01', to: '2026-11-30' });
    expect(monthRange('2028-02')).toEqual({ from: '2028-02-01', to: '2028-02-29' });
    expect(previousMonth('2026-01')).toBe('2025-12');
    expect(previousMonth('2026-11')).toBe('2026-10');
  });
});

describe('CSV of a table on screen', () => {
  const columns = [
    { label: '维护员', text: (r) => r.name },
    { label: '准时到达率', text: (r) => formatValue(r.on_time, 'rate') },
  ];

  it('carries the cells as shown, with a BOM for the Chinese and quoting where needed', () => {
    const csv = toCsv(columns, [{ name: '林建华', on_time: 0.9 }, { name: 'Lin, "Jim"', on_time: null }]);
    expect(csv).toBe('\ufeff维护员,准时到达率\r\n林建华,90.0%\r\n"Lin, ""Jim""",—\r\n');
  });

  it('never hands a spreadsheet a formula, but keeps negative numbers as numbers', () => {
    const csv = toCsv([{ label: 'x', text: (r) => r }], ['=HYPERLINK("http://x")', '-1.25', '+1.50']);
    expect(csv.split('\r\n').slice(1, 4)).toEqual(['"\'=HYPERLINK(""http://x"")"', '-1.25', '+1.50']);
  });
});

describe('charts', () => {
  const data = { labels: ['11-01', '11-02', '11-03'], series: [{ name: '准时到达率', values: [0.8, null, 0.95] }], unit: 'rate' };

  it('draws rates as percentages on a 0–100 axis, a gap for a day with no visits', () => {
    const option = chartOption(data);
    expect(option.series[0]).toMatchObject({ type: 'line', data: [80, null, 95] });
    expect(option.yAxis).toMatchObject({ min: 0, max: 100, axisLabel: { formatter: '{value}%' } });
    expect(option.tooltip.renderMode).toBe('richText'); // no inline style attributes under the CSP
    expect(chartOption({ ...data, unit: 'count' }).series[0].type).toBe('bar');
  });

  it('says every point in words for a screen reader', () => {
    expect(describeChart('准时到达率（按日）', data)).toBe('准时到达率（按日）：准时到达率: 11-01 80.0%, 11-02 —, 11-03 95.0%');
  });

  it('renders to SVG with the Chinese labels as text', () => {
    const chart = init(null, null, { renderer: 'svg', ssr: true, width: 480, height: 220, locale: 'ZH' });
    chart.setOption(chartOption({ labels: ['11月01日', '11月02日'], series: [{ name: '首次修复', values: [3, 5] }, { name: '再次上门', values: [1, 0] }], unit: 'count' }));
    const svg = chart.renderToSVGString();
    chart.dispose();
    expect(svg).toContain('11月01日');
    expect(svg).toContain('首次修复');
    expect((svg.match(/<path/g) || []).length).toBeGreaterThan(4);
  });
});

describe('an order behind a figure', async () => {
  const { named, timelineOf } = await import('../src/console/reports/order.js');
  const { addStrings } = await import('../src/i18n.js');
  const { CONSOLE_STRINGS } = await import('../src/console/strings.js');
  addStrings(CONSOLE_STRINGS);

  it('tells status changes and visit events in the order they happened on the phone, a run of one event as one line', () => {
    const order = {
      history: [{ at: '2026-11-03T01:00:00+00:00', from_status: 'new', to_status: 'scheduled', actor_name: '王芳' },
        { at: '2026-11-04T02:30:00+00:00', from_status: 'on_site', to_status: 'completed', actor_name: '林建华' }],
      visit: { events: [
        { type: 'arrive.checkin', server_at: '2026-11-04T01:52:00+00:00', client_at: '2026-11-04T01:52:00+00:00', actor: { name: '林建华' } },
        { type: 'checklist.answer', server_at: '2026-11-04T02:40:00+00:00', client_at: '2026-11-04T01:53:00+00:00', actor: { name: '林建华' } },
        { type: 'checklist.answer', server_at: '2026-11-04T02:40:00+00:00', client_at: '2026-11-04T01:54:00+00:00', actor: { name: '林建华' } },
        { type: 'something.new', server_at: '2026-11-04T02:00:00+00:00', client_at: '2026-11-04T01:55:00+00:00', actor: null },
      ] },
    };
    const items = timelineOf(order);
    expect(items.map((i) => i.what)).toEqual(['新建 → 已预约', '到达签到', '检查单 ×2', 'something.new', '在现场 → 已完成']);
    expect(items[1].note).toBe('');
    expect(items[2].note).toContain('同步于');
  });

  it('names a rule in words, or by its id when the strings do not know it yet', () => {
    expect(named('rule', 'arrive.early_5_10_min')).toBe('提前5–10分钟到达');
    expect(named('rule', 'help.leaflet')).toBe('help.leaflet');
  });
});

describe('the report API read into the screen', async () => {
  const reports = await import('../src/console/reports/api.js');

  it('leads with the headline figures in the manager’s order, with the previous period’s value', () => {
    const figures = reports.headlineFigures({
      headline: [
        { kpi: 'leads', kind: 'count', value: 4, denominator: null, measure: 'leads', previous: { value: 6 } },
        { kpi: 'on_time', kind: 'rate', value: 0.9, denominator: 20, measure: 'on_time', previous: { value: null } },
        { kpi: 'visits', kind: 'count', value: 20, measure: 'visits', previous: { value: 18 } },
      ],
    });
    expect(figures.map((f) => [f.key, f.value, f.previous, f.unit, f.better, f.label])).toEqual([
      ['on_time', 0.9, null, 'rate', 'up', '准时到达率'],
      ['leads', 4, 6, 'count', 'up', '销售意向'],
    ]);
  });

  it('keeps a rule’s verified and self-attested passes apart, named in words', () => {
    expect(reports.rulesOf([{ rule: 'arrive.early_5_10_min', verified: 7, attested: 0, missed: 3, checked: 10, measure: 'rule.arrive.early_5_10_min.missed' }]))
      .toEqual([{ rule: 'arrive.early_5_10_min', label: '提前5–10分钟到达', verified: 7, attested: 0, missed: 3, checked: 10, measure: 'rule.arrive.early_5_10_min.missed' }]);
  });

  it('reads every page of a drill-down, so the list is all the orders behind the figure', async () => {
    const asked = [];
    const api = async (path) => {
      asked.push(path);
      const page = Number(new URL(path, 'http://x').searchParams.get('page'));
      const n = page === 1 ? 100 : 7;
      return { ok: true, status: 200, body: Array.from({ length: n }, (_, i) => ({ work_order_id: page * 1000 + i, number: `WO-${page}-${i}` })) };
    };
    const r = await reports.orders(api, { branch: '福州', from: '2026-11-01', to: '2026-11-30' }, { measure: 'no_access' });
    expect(r.orders).toHaveLength(107);
    expect(r.orders[0].id).toBe(1000);
    expect(asked[0]).toBe('/api/v1/reports/orders?branch=%E7%A6%8F%E5%B7%9E&from=2026-11-01&to=2026-11-30&measure=no_access&page=1&page_size=100');
  });

  it('says a refusal rather than drawing nothing', async () => {
    const r = await reports.orders(async () => ({ ok: false, status: 403, body: { code: 'forbidden' } }), {}, { measure: 'visits' });
    expect(r.error.status).toBe(403);
  });
});
