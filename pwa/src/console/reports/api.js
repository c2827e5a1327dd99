// The report API (/api/v1/reports/…, docs/kpis.md) read into what the screen draws. The one
// place that knows the API's shapes and which figures the overview leads with, so the screen's
// components stay plain. Every value is the API's; this file only chooses and labels.
import { t } from '../../i18n.js';

const BASE = '/api/v1/reports';

// The headline figures, in the order a branch manager reads them: arrival by the standard,
// first-time fix, what customers said, compliance, after-care, sales. `better` is which way is
// good news; `unit` how the value reads (the API's kind: rate, average or count).
export const HEADLINE = [
  { key: 'on_time', unit: 'rate', better: 'up' },
  { key: 'arrival_standard', unit: 'rate', better: 'up' },
  { key: 'late_without_notice', unit: 'rate', better: 'down' },
  { key: 'no_access', unit: 'rate', better: 'down' },
  { key: 'first_time_fix', unit: 'rate', better: 'up' },
  { key: 'needs_revisit', unit: 'rate', better: 'down' },
  { key: 'rating_overall', unit: 'rating', better: 'up' },
  { key: 'satisfied', unit: 'rate', better: 'up' },
  { key: 'declined', unit: 'rate', better: 'down' },
  { key: 'mot_call', unit: 'score', better: 'up' },
  { key: 'mot_arrival', unit: 'score', better: 'up' },
  { key: 'mot_communication', unit: 'score', better: 'up' },
  { key: 'mot_operation', unit: 'score', better: 'up' },
  { key: 'compliance_score', unit: 'points', better: 'up' },
  { key: 'return_visits_reached', unit: 'rate', better: 'up' },
  { key: 'return_visits_satisfied', unit: 'rate', better: 'up' },
  { key: 'complaints', unit: 'count', better: 'down' },
  { key: 'cases_answered_in_time', unit: 'rate', better: 'up' },
  { key: 'leads', unit: 'count', better: 'up' },
];
const UNIT = Object.fromEntries(HEADLINE.map((f) => [f.key, f.unit]));
const UNIT_OF_KIND = { rate: 'rate', count: 'count', average: 'rating' };

/** A KPI's unit: the headline's, else the API's kind (a rating's average reads as a rating). */
export function unitOf(key, kind) {
  return UNIT[key] || (key.startsWith('mot_') ? 'score' : UNIT_OF_KIND[kind] || 'count');
}

function q(params) {
  const clean = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== '' && v !== null && v !== undefined));
  return new URLSearchParams(clean).toString();
}

/** The branches to choose from: those the technicians belong to (the API scopes what is readable). */
export async function branches(api) {
  const r = await api('/api/v1/technicians');
  if (!r.ok) return null;
  return [...new Set(r.body.map((tech) => tech.branch).filter(Boolean))].sort();
}

function label(bucket, by) {
  const from = bucket.start.slice(5);
  return by === 'day' ? from : `${from}–${bucket.end.slice(5)}`;
}

/** Turn the headline of GET /overview into the figures the screen shows, in HEADLINE's order. */
export function headlineFigures(overview) {
  const byKey = Object.fromEntries(overview.headline.map((h) => [h.kpi, h]));
  return HEADLINE.filter((f) => byKey[f.key]).map((f) => {
    const h = byKey[f.key];
    return { ...f, label: t(`kpi_${f.key}`), value: h.value, previous: h.previous?.value ?? null, of: h.denominator, measure: h.measure };
  });
}

/** The league table's rows and columns from GET /technicians. */
export function leagueOf(rows) {
  const keys = ['visits', 'on_time', 'arrival_standard', 'late_without_notice', 'no_access', 'first_time_fix', 'needs_revisit', 'rating_overall', 'satisfied', 'mot_arrival', 'compliance_score', 'leads'];
  return {
    columns: keys.map((key) => ({ key, label: t(`kpi_${key}`), unit: unitOf(key) })),
    rows: rows.map((r) => ({ id: r.technician_id, name: `${r.rank}. ${r.name}${r.employee_no ? ` (${r.employee_no})` : ''}`, values: r })),
  };
}

/**
 * The rules missed most, with how each was met kept apart: verified (the server checked it from
 * what was recorded) and self-attested (the technician ticked it), as the compliance record says.
 */
export function rulesOf(rows) {
  return rows.map((r) => ({ rule: r.rule, label: ruleLabel(r.rule), verified: r.verified, attested: r.attested, missed: r.missed, checked: r.checked, measure: r.measure }));
}

function ruleLabel(rule) {
  const key = `rule_${rule.replace(/\./g, '_')}`;
  const text = t(key);
  return text === key ? rule : text;
}

/** Everything the overview draws for a branch and month, or {error} with the refused response. */
export async function load(api, { branch, from, to, by }) {
  const scope = { branch, from, to };
  const [overview, league, rules] = await Promise.all([
    api(`${BASE}/overview?${q(scope)}`),
    api(`${BASE}/technicians?${q(scope)}`),
    api(`${BASE}/rules?${q(scope)}`),
  ]);
  const failed = [overview, league, rules].find((r) => !r.ok);
  if (failed) return { error: failed };
  const figures = headlineFigures(overview.body);
  const series = await Promise.all(figures.map((f) => api(`${BASE}/series?${q({ ...scope, kpi: f.key, bucket: by })}`)));
  const firstOk = series.find((r) => r.ok);
  const points = firstOk ? firstOk.body.points : [];
  return {
    // The range asked for (the answer's `filters` echo it, but not their dates yet).
    period: { from: overview.body.filters?.from ?? from, to: overview.body.filters?.to ?? to },
    previous: { from: overview.body.previous_from, to: overview.body.previous_to },
    figures,
    series: {
      labels: points.map((p) => label(p, by)),
      buckets: points.map((p) => ({ label: label(p, by), bucket: by, start: p.start })),
      values: Object.fromEntries(figures.map((f, i) => [f.key, series[i].ok ? series[i].body.points.map((p) => p.value) : null]).filter(([, v]) => v)),
    },
    league: leagueOf(league.body.rows ?? league.body),
    rules: rulesOf(rules.body.rows ?? rules.body),
  };
}

// The drill-down is paged by the API (100 a page at most); a figure's orders are all of them.
const PAGE = 100;

/**
 * The records behind a measure over the scope, each with its work order, or {error}; `params`
 * narrows to one bucket of a series ({bucket, bucket_start}) or one technician.
 */
export async function orders(api, scope, params) {
  const rows = [];
  for (let page = 1; ; page += 1) {
    const r = await api(`${BASE}/orders?${q({ branch: scope.branch, from: scope.from, to: scope.to, ...params, page, page_size: PAGE })}`);
    if (!r.ok) return { error: r };
    rows.push(...r.body);
    if (r.body.length < PAGE) break;
  }
  return { orders: rows.map((o) => ({ ...o, id: o.work_order_id })) };
}

/** The monthly branch report (PDF through the forms' WeasyPrint pipeline). */
export function pdfPath({ branch, month }) {
  return `${BASE}/monthly.pdf?${q({ branch, month })}`;
}

/** One table on screen as the API's spreadsheet of it (`params` say which series or drill-down), or null. */
export async function xlsx(file, { branch, from, to }, table, params = {}) {
  const res = await file(`${BASE}/${table}.xlsx?${q({ branch, from, to, ...params })}`);
  return res.ok ? res.blob() : null;
}
