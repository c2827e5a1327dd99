// Charts for the manager's view: Apache ECharts, only the parts used (line and bar charts, grid,
// tooltip, legend, the SVG renderer), built into the console's bundle: nothing from another
// origin, and the CSP holds. SVG rather than canvas: its text is real text (sharp Chinese at any
// zoom, findable), it keeps the bundle smaller, and the browser tests can see what was drawn.
// The tooltip is drawn inside the chart (richText): the HTML tooltip writes inline style
// attributes, which the console's CSP refuses.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import { init, use } from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import { getLang } from '../../i18n.js';
import { formatValue } from './figures.js';

use([LineChart, BarChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

const FONT = 'system-ui, "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif';
const COLOURS = ['#0b6e4f', '#e0a800', '#3867d6', '#b3261e', '#7b5ea7', '#5b6661'];
// The compliance statuses keep one colour everywhere: missed red, self-attested amber, verified green.
export const STATUS_COLOURS = { missed: '#b3261e', attested: '#e0a800', verified: '#0b6e4f' };

// Rates travel as fractions (0.875) and are drawn as percentages (87.5), so the axis reads 87.5%.
function drawn(value, unit) {
  if (value === null || value === undefined) return null;
  return unit === 'rate' ? Math.round(value * 1000) / 10 : value;
}

function axisLabel(unit) {
  return unit === 'rate' ? '{value}%' : '{value}';
}

/**
 * The ECharts option of one figure over time (or over technicians, rules…): `labels` along the
 * x axis, one or more `series` of {name, values}; a line for rates and scores, bars for counts
 * unless `kind` says otherwise.
 */
export function chartOption({ labels, series, unit = 'count', kind, horizontal = false }) {
  const type = kind || (unit === 'count' ? 'bar' : 'line');
  const category = { type: 'category', data: labels, axisLabel: { fontFamily: FONT, hideOverlap: !horizontal, width: 150, overflow: 'truncate' } };
  const values = {
    type: 'value',
    axisLabel: { formatter: axisLabel(unit), fontFamily: FONT },
    ...(unit === 'rate' ? { min: 0, max: 100 } : {}),
    ...(unit === 'score' ? { min: -3, max: 3 } : {}),
    ...(unit === 'rating' ? { min: 1, max: 5 } : {}),
    ...(unit === 'points' ? { min: 0, max: 100 } : {}),
  };
  return {
    animation: false,
    color: COLOURS,
    textStyle: { fontFamily: FONT },
    grid: { left: horizontal ? 160 : 48, right: 16, top: series.length > 1 ? 30 : 14, bottom: 28 },
    legend: series.length > 1 ? { top: 0, textStyle: { fontFamily: FONT } } : undefined,
    tooltip: {
      trigger: 'axis',
      renderMode: 'richText',
      valueFormatter: (v) => (unit === 'rate' ? `${v}%` : formatValue(v, unit)),
    },
    xAxis: horizontal ? values : category,
    yAxis: horizontal ? { ...category, inverse: true } : values,
    series: series.map((s) => ({
      name: s.name,
      type: s.kind || type,
      data: s.values.map((v) => drawn(v, unit)),
      stack: s.stack,
      ...(s.colour ? { itemStyle: { color: s.colour } } : {}),
      connectNulls: false,
      symbolSize: 6,
      barMaxWidth: 28,
    })),
  };
}

/** The chart in words: its title and every point, for a screen reader (the chart's aria-label). */
export function describeChart(title, { labels, series, unit = 'count' }) {
  const sep = getLang() === 'zh' ? '；' : '; ';
  const parts = series.map((s) => `${s.name}: ${labels.map((l, i) => `${l} ${formatValue(s.values[i], unit)}`).join(', ')}`);
  return `${title}${getLang() === 'zh' ? '：' : ': '}${parts.join(sep)}`;
}

/**
 * One chart. `onPick(index)` is called with the x-axis position clicked (anywhere in its column,
 * not only on a tiny point), so a bar or a day opens the orders behind it. The figures are also
 * in the table beside it, where the same choice is a button for the keyboard.
 */
export function Chart({ title, data, kind, horizontal = false, onPick, className = 'chart' }) {
  const el = useRef(null);
  const chart = useRef(null);
  const pick = useRef(onPick);
  const count = useRef(0);
  pick.current = onPick;
  count.current = data.labels.length;
  useEffect(() => {
    const c = init(el.current, null, { renderer: 'svg', locale: getLang() === 'zh' ? 'ZH' : 'EN' });
    chart.current = c;
    c.getZr().on('click', (e) => {
      const point = [e.offsetX, e.offsetY];
      if (!pick.current || !c.containPixel('grid', point)) return;
      const [x, y] = c.convertFromPixel({ gridIndex: 0 }, point);
      const index = horizontal ? y : x;
      if (index >= 0 && index < count.current) pick.current(index);
    });
    const resize = new ResizeObserver(() => c.resize());
    resize.observe(el.current);
    return () => {
      resize.disconnect();
      c.dispose();
    };
  }, []);
  const option = chartOption({ ...data, kind, horizontal });
  const key = JSON.stringify([data, kind, horizontal]);
  useEffect(() => {
    chart.current.setOption(option, true);
  }, [key]);
  return html`<div ref=${el} class=${className} role="img" aria-label=${describeChart(title, data)}></div>`;
}
