// A table of figures with its exports: CSV made here from the very cells on screen, XLSX from the
// caller (the report API's spreadsheet of the same table), and a button per row for the orders
// behind it, so the drill-down works from the keyboard as well as from a chart.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { toCsv } from './figures.js';

/** Save a Blob as a file through a temporary link (a download; nothing leaves this origin). */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/**
 * `columns`: {label, text(row), numeric?}; `onPick(row)` adds a last column of buttons opening
 * the orders behind the row; `xlsx()` returns a Promise of a Blob (or null when it failed);
 * `name` names the exported files.
 */
export function DataTable({ caption, columns, rows, onPick, pickLabel, xlsx, name, className = '' }) {
  const [error, setError] = useState(null);
  const csv = () => saveBlob(new Blob([toCsv(columns, rows)], { type: 'text/csv;charset=utf-8' }), `${name}.csv`);
  const sheet = async () => {
    const blob = await xlsx();
    setError(blob ? null : t('exportFailed'));
    if (blob) saveBlob(blob, `${name}.xlsx`);
  };
  return html`<div class=${`datatable ${className}`}>
    <div class="exports" role="group" aria-label=${`${caption} · ${t('export')}`}>
      <button type="button" onClick=${csv} aria-label=${`${caption} CSV`}>CSV</button>
      ${xlsx && html`<button type="button" onClick=${sheet} aria-label=${`${caption} XLSX`}>XLSX</button>`}
    </div>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <table>
      <caption>${caption}</caption>
      <thead><tr>${columns.map((c) => html`<th scope="col" class=${c.numeric ? 'num' : ''}>${c.label}</th>`)}
        ${onPick && html`<th scope="col"><span class="visually-hidden">${t('ordersBehind')}</span></th>`}</tr></thead>
      <tbody>${rows.length === 0 ? html`<tr><td colspan=${columns.length + (onPick ? 1 : 0)} class="muted">${t('noData')}</td></tr>`
        : rows.map((row) => html`<tr>${columns.map((c, i) => (i === 0 ? html`<th scope="row">${c.text(row)}</th>`
          : html`<td class=${c.numeric ? 'num' : ''}>${c.text(row)}</td>`))}
          ${onPick && html`<td><button type="button" class="link" onClick=${() => onPick(row)}>${pickLabel ? pickLabel(row) : t('ordersBehind')}</button></td>`}</tr>`)}</tbody>
    </table>
  </div>`;
}
