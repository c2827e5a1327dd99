// 经营分析: the manager's view of a branch for a month. The headline figures with their trend
// against the month before, a chart per figure over the month, the league table of technicians
// and the rules missed most (verified and self-attested apart). Every figure, point, bar and row
// opens the orders behind it, and each order opens its timeline, compliance record and forms.
// The figures are the report API's (backend/reports, docs/kpis.md); nothing is computed here
// but how they are shown.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { reasonOf } from '../reason.js';
import { Chart, STATUS_COLOURS } from './charts.js';
import { formatValue, monthRange, previousMonth, trendOf } from './figures.js';
import { DataTable, saveBlob } from './table.js';
import { OrderDetail } from './order.js';
import * as reports from './api.js';

function thisMonth() {
  return new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' }).slice(0, 7);
}

function Headline({ figure, onPick }) {
  const trend = trendOf(figure.value, figure.previous, figure.unit, figure.better);
  const arrow = !trend ? '' : trend.direction === 'up' ? '▲' : trend.direction === 'down' ? '▼' : '＝';
  const sense = !trend ? t('noTrend') : trend.good === null ? t('trendFlat') : trend.good ? t('trendBetter') : t('trendWorse');
  return html`<li class="headline">
    <button type="button" class="figure" data-figure=${figure.key} onClick=${() => onPick(figure)}
      aria-label=${`${figure.label} ${formatValue(figure.value, figure.unit)}, ${t('vsPrevious')} ${trend ? trend.text : '—'} (${sense}). ${t('ordersBehind')}`}>
      <span class="label">${figure.label}</span>
      <span class="value">${formatValue(figure.value, figure.unit)}</span>
      <span class=${`trend ${trend?.good === true ? 'good' : trend?.good === false ? 'bad' : ''}`}>
        ${trend ? `${arrow} ${trend.text}` : '—'} <span class="muted">${t('vsPrevious')}</span></span>
      ${figure.of > 0 && html`<span class="muted">${t('outOf', { n: figure.of })}</span>`}
    </button>
  </li>`;
}

// A figure over time: its chart and, for the keyboard and screen readers, the same points as a
// table whose rows open the orders of that day or week.
function FigureChart({ figure, series, onPick, xlsx }) {
  const data = { labels: series.labels, series: [{ name: figure.label, values: series.values[figure.key] || [] }], unit: figure.unit };
  const rows = series.labels.map((label, i) => ({ label, i, value: data.series[0].values[i] }));
  return html`<figure class="panel chartcard" data-figure=${figure.key}>
    <figcaption>${figure.label}</figcaption>
    <${Chart} title=${figure.label} data=${data} onPick=${(i) => onPick(figure, series.buckets[i])} />
    <details><summary>${t('chartData')}</summary>
      <${DataTable} caption=${`${figure.label} · ${t('overTime')}`} name=${`${figure.key}-series`}
        columns=${[{ label: t('period'), text: (r) => r.label }, { label: figure.label, text: (r) => formatValue(r.value, figure.unit), numeric: true }]}
        rows=${rows} onPick=${(r) => onPick(figure, series.buckets[r.i])} xlsx=${xlsx} />
    </details>
  </figure>`;
}

// The rules missed most: a stacked bar per rule (met by the server's check, met by the
// technician's word, missed) and the same counts as a table; a bar or a row opens the orders
// that missed the rule.
const TOP_RULES = 8;
function Rules({ rules, xlsx, name, onPick }) {
  const top = rules.slice(0, TOP_RULES);
  const data = {
    labels: top.map((r) => r.label),
    series: ['missed', 'attested', 'verified'].map((k) => ({ name: t(`rulestatus_${k}`), values: top.map((r) => r[k]), stack: 'rule', colour: STATUS_COLOURS[k] })),
    unit: 'count',
  };
  return html`<section class="panel" aria-labelledby="rules-h">
    <h2 id="rules-h">${t('missedRules')}</h2>
    ${top.length > 0 && html`<${Chart} title=${t('missedRules')} data=${data} kind="bar" horizontal className="chart wide" onPick=${(i) => onPick(top[i])} />`}
    <${DataTable} caption=${t('missedRules')} name=${name} rows=${rules} xlsx=${xlsx}
      columns=${[{ label: t('rule'), text: (r) => r.label }, { label: t('missedTimes'), text: (r) => String(r.missed), numeric: true },
        { label: t('rulestatus_verified'), text: (r) => String(r.verified), numeric: true }, { label: t('rulestatus_attested'), text: (r) => String(r.attested), numeric: true },
        { label: t('missedShare'), text: (r) => formatValue(r.checked ? r.missed / r.checked : null, 'rate'), numeric: true }]}
      onPick=${onPick} />
  </section>`;
}

function Drill({ drill, onOpen, openId }) {
  const heading = useRef(null);
  // The orders appear above the charts: take the reader (and the keyboard focus) to them.
  useEffect(() => {
    heading.current?.focus();
    heading.current?.scrollIntoView({ block: 'start' });
  }, [drill.title, !drill.orders]);
  if (drill.error) return html`<section class="panel"><p class="error" role="alert">${drill.error}</p></section>`;
  if (!drill.orders) return html`<section class="panel muted">${t('searching')}</section>`;
  return html`<section class="panel drill" aria-labelledby="drill-h">
    <h2 id="drill-h" tabindex="-1" ref=${heading}>${t('ordersBehindTitle', { what: drill.title, n: drill.orders.length })}</h2>
    <${DataTable} caption=${drill.title} name="orders" rows=${drill.orders} xlsx=${drill.xlsx}
      columns=${[
        { label: t('order'), text: (o) => o.number },
        { label: t('day'), text: (o) => o.day || '' },
        { label: t('technician'), text: (o) => o.technician || '' },
        { label: t('customer'), text: (o) => o.customer || '' },
        { label: t('orderType'), text: (o) => t(`type_${o.type}`) },
        { label: t('orderStatus'), text: (o) => t(`status_${o.status}`) },
      ]}
      onPick=${(o) => o.id && onOpen(o)} pickLabel=${(o) => (!o.id ? '—' : o.id === openId ? t('opened') : t('openOrder'))} />
  </section>`;
}

/** The manager's view (dispatchers see their own branch's when branches are scoped). */
export function Reports({ user, api, file }) {
  const [month, setMonth] = useState(previousMonth(thisMonth()));
  const [branch, setBranch] = useState(user.branch || '');
  const [branches, setBranches] = useState(user.branch ? [user.branch] : []);
  const [by, setBy] = useState('day');
  const [view, setView] = useState(null);
  const [error, setError] = useState(null);
  const [drill, setDrill] = useState(null);
  const [openId, setOpenId] = useState(null);
  const [openVisit, setOpenVisit] = useState(null);
  const latest = useRef(0);
  const query = { branch, month, by, ...monthRange(month) };
  useEffect(() => {
    reports.branches(api).then((list) => list && setBranches(list));
  }, []);
  useEffect(() => {
    if (!branch && branches.length) setBranch(branches[0]);
  }, [branches]);
  // Only the newest request's answer is drawn: a slow month never overwrites the one chosen after.
  useEffect(() => {
    if (!branch) return;
    const ticket = ++latest.current;
    setView(null);
    setDrill(null);
    setOpenId(null);
    reports.load(api, query).then((r) => {
      if (ticket !== latest.current) return;
      if (r.error) return setError(reasonOf(r.error));
      setError(null);
      setView(r);
    });
  }, [branch, month, by]);
  const pick = async (title, params) => {
    setDrill({ title });
    setOpenId(null);
    const r = await reports.orders(api, query, params);
    setDrill(r.error ? { title, error: reasonOf(r.error) } : { title, orders: r.orders, xlsx: xlsx('orders', params) });
  };
  const pickFigure = (figure, bucket) => pick(bucket ? `${figure.label} · ${bucket.label}` : figure.label, { measure: figure.measure, ...(bucket ? { bucket: bucket.bucket, bucket_start: bucket.start } : {}) });
  const pdf = async () => {
    const res = await file(reports.pdfPath(query));
    if (!res.ok) return setError(t('exportFailed'));
    saveBlob(await res.blob(), `report-${branch}-${month}.pdf`);
  };
  const xlsx = (table, params) => () => reports.xlsx(file, query, table, params);
  return html`<div class="reports">
    <form class="panel row controls" onSubmit=${(e) => e.preventDefault()} aria-label=${t('reportControls')}>
      <label class="field narrow">${t('branch')}<select name="branch" value=${branch} onChange=${(e) => setBranch(e.target.value)}>
        ${branches.map((b) => html`<option value=${b}>${b}</option>`)}</select></label>
      <label class="field narrow">${t('month')}<input type="month" name="month" value=${month} max=${thisMonth()} onChange=${(e) => e.target.value && setMonth(e.target.value)} /></label>
      <label class="field narrow">${t('granularity')}<select name="by" value=${by} onChange=${(e) => setBy(e.target.value)}>
        <option value="day">${t('byDay')}</option><option value="week">${t('byWeek')}</option></select></label>
      <span class="spacer"></span>
      <button type="button" onClick=${pdf} disabled=${!view}>${t('monthlyPdf')}</button>
    </form>
    ${error && html`<p class="error panel" role="alert">${error}</p>`}
    ${!view && !error && html`<p class="panel muted">${t('searching')}</p>`}
    ${view && html`
      <section class="panel" aria-labelledby="overview-h">
        <h2 id="overview-h">${t('overviewTitle', { branch, from: view.period.from, to: view.period.to })}
          <span class="muted"> · ${t('previousPeriod')} ${view.previous.from}–${view.previous.to}</span></h2>
        <ul class="headlines">${view.figures.map((f) => html`<${Headline} key=${f.key} figure=${f} onPick=${(fig) => pickFigure(fig)} />`)}</ul>
        <details><summary>${t('chartData')}</summary>
          <${DataTable} caption=${t('headlineTable')} name=${`overview-${branch}-${month}`} rows=${view.figures} xlsx=${xlsx('overview')}
            columns=${[{ label: t('figure'), text: (f) => f.label }, { label: t('thisPeriod'), text: (f) => formatValue(f.value, f.unit), numeric: true },
              { label: t('previousPeriod'), text: (f) => formatValue(f.previous, f.unit), numeric: true },
              { label: t('change'), text: (f) => trendOf(f.value, f.previous, f.unit, f.better)?.text || '—', numeric: true }]} />
        </details>
      </section>
      ${drill && html`<div class="split drillrow">
        <${Drill} drill=${drill} openId=${openId} onOpen=${(o) => { setOpenId(o.id); setOpenVisit(o.record === 'visit' ? o.record_id : null); }} />
        ${openId && html`<${OrderDetail} id=${openId} visitId=${openVisit} api=${api} file=${file} onClose=${() => setOpenId(null)} />`}
      </div>`}
      <div class="charts">${view.figures.filter((f) => view.series.values[f.key]).map((f) => html`<${FigureChart} key=${f.key} figure=${f} series=${view.series} onPick=${pickFigure} xlsx=${xlsx('series', { kpi: f.key, bucket: by })} />`)}</div>
      <section class="panel" aria-labelledby="league-h">
        <h2 id="league-h">${t('leagueTable')}</h2>
        <${DataTable} caption=${t('leagueTable')} name=${`technicians-${branch}-${month}`} rows=${view.league.rows} xlsx=${xlsx('technicians')} className="league"
          columns=${[{ label: t('technician'), text: (r) => r.name }, ...view.league.columns.map((c) => ({ label: c.label, text: (r) => formatValue(r.values[c.key], c.unit), numeric: true }))]}
          onPick=${(r) => pick(`${r.name} · ${t('kpi_visits')}`, { technician_id: r.id, measure: 'visits' })} />
      </section>
      <${Rules} rules=${view.rules} xlsx=${xlsx('rules')} name=${`rules-${branch}-${month}`}
        onPick=${(r) => pick(`${r.label} · ${t('missed')}`, { measure: r.measure })} />`}
  </div>`;
}
