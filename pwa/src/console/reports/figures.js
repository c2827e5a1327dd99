// The manager's figures as the screen shows them: one formatter per unit, the trend against the
// previous period, the month a report covers, and a table as CSV. Pure functions, so the unit
// tests pin exactly what a manager reads and what an export carries.
import { getLang } from '../../i18n.js';

/** Format one figure for the screen (and its exports): a rate as a percentage, a score, a count. */
export function formatValue(value, unit) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (unit === 'rate') return `${(value * 100).toFixed(1)}%`;
  if (unit === 'percent') return `${Number(value).toFixed(1)}%`;
  if (unit === 'score') return (value > 0 ? '+' : '') + Number(value).toFixed(2);
  if (unit === 'rating') return Number(value).toFixed(2);
  if (unit === 'minutes' || unit === 'points') return Number(value).toFixed(1);
  return String(value);
}

/**
 * Compare a figure with the previous period's: the change in the figure's own terms (points for
 * a rate), its direction, and whether that direction is good news. `better` says which way is
 * good ('up' for first-time fix, 'down' for late arrivals); a figure with no previous value has no
 * trend rather than a made-up one.
 */
export function trendOf(value, previous, unit, better = 'up') {
  if (value === null || value === undefined || previous === null || previous === undefined) return null;
  const delta = value - previous;
  const scale = unit === 'rate' ? 100 : 1;
  const shown = Math.round(delta * scale * 10) / 10;
  const direction = shown > 0 ? 'up' : shown < 0 ? 'down' : 'flat';
  const good = direction === 'flat' ? null : direction === better;
  let text;
  if (unit === 'rate') text = `${shown > 0 ? '+' : ''}${shown.toFixed(1)}${getLang() === 'zh' ? '个百分点' : ' pts'}`;
  else text = `${shown > 0 ? '+' : ''}${unit === 'count' ? Math.round(delta) : shown.toFixed(unit === 'score' || unit === 'rating' ? 2 : 1)}`;
  return { delta, direction, good, text };
}

/** The first and last day of a month given as 'YYYY-MM' (the reports take inclusive dates). */
export function monthRange(month) {
  const [y, m] = month.split('-').map(Number);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { from: `${month}-01`, to: `${month}-${String(last).padStart(2, '0')}` };
}

/** The month before 'YYYY-MM' (the seeded demo month is the one before today's). */
export function previousMonth(month) {
  const [y, m] = month.split('-').map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

// A cell a spreadsheet would run as a formula (=, +, -, @ at the start of text) is kept as text.
function csvCell(text) {
  let s = String(text ?? '');
  if (/^[=+\-@\t\r]/.test(s) && Number.isNaN(Number(s))) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * A table as CSV, cell for cell what the screen shows: `columns` are {label, text(row)}. A BOM
 * first so spreadsheet programs read the Chinese as UTF-8; CRLF as RFC 4180 says.
 */
export function toCsv(columns, rows) {
  const lines = [columns.map((c) => csvCell(c.label)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvCell(c.text(row))).join(','));
  return `\ufeff${lines.join('\r\n')}\r\n`;
}
