// 实时: today's visits as they happen. One request draws the day; a long-poll on the change cursor
// says when to draw it again, so a synced step or a cancellation shows within seconds, no reload.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { getLang, t } from '../i18n.js';

const RETRY_MS = 3000;
const WAIT_SECONDS = 20;

function hhmm(iso) {
  return iso ? new Date(iso).toLocaleTimeString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { hour: '2-digit', minute: '2-digit' }) : '';
}

function since(iso, serverTime) {
  if (!iso) return t('never');
  const minutes = Math.max(0, Math.round((new Date(serverTime) - new Date(iso)) / 60000));
  return t('minutesAgo', { n: minutes });
}

function Row({ entry, technician }) {
  const v = entry.visit;
  const step = v?.current_step ? t(`step_${v.current_step}`) : v?.ended_at ? t('visitEnded') : t('notStarted');
  return html`<tr class=${entry.alerts.length ? 'alerting' : ''}>
    <td>${hhmm(entry.window.start)}–${hhmm(entry.window.end)}</td>
    <td>${entry.work_order.number}<br /><span class="muted">${entry.customer} · ${entry.address}</span></td>
    <td>${technician?.name || ''}</td>
    <td>${t(`status_${entry.work_order.status}`)}</td>
    <td>${step}</td>
    <td>${v?.arrival_class ? html`${t(`arrival_${v.arrival_class}`)} ${hhmm(v.checked_in_at)}` : '—'}</td>
    <td>${v?.late_notice ? t('yes') : '—'}</td>
    <td>${entry.alerts.map((a) => html`<span class="badge bad">${t(`alert_${a}`)}</span> `)}</td>
  </tr>`;
}

/** The live board for today. */
export function Live({ api }) {
  const [day, setDay] = useState(null);
  const [offline, setOffline] = useState(false);
  useEffect(() => {
    let stopped = false;
    const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const loop = async () => {
      let cursor = null;
      while (!stopped) {
        if (cursor === null) {
          const r = await api('/api/v1/live/visits');
          if (stopped) return;
          if (!r.ok) {
            setOffline(true);
            await pause(RETRY_MS);
            continue;
          }
          setOffline(false);
          setDay(r.body);
          cursor = r.body.cursor;
        }
        const r = await api(`/api/v1/live/changes?cursor=${cursor}&wait=${WAIT_SECONDS}`);
        if (stopped) return;
        if (!r.ok) {
          setOffline(true);
          await pause(RETRY_MS);
        } else if (r.body.changed) {
          cursor = null; // draw the day again
        }
      }
    };
    loop();
    return () => {
      stopped = true;
    };
  }, []);
  if (!day) return html`<p class="panel muted">${t('searching')}</p>`;
  const techs = Object.fromEntries(day.technicians.map((tech) => [tech.id, tech]));
  const counts = {};
  for (const entry of day.visits) for (const a of entry.alerts) counts[a] = (counts[a] || 0) + 1;
  return html`<div class="live">
    ${offline && html`<p class="warn" role="status">${t('liveOffline')}</p>`}
    <section class="panel" aria-labelledby="alerts-h">
      <h2 id="alerts-h">${t('alertsTitle')}</h2>
      ${Object.keys(counts).length === 0 ? html`<p class="muted">${t('noAlerts')}</p>`
        : html`<p role="status">${Object.entries(counts).map(([a, n]) => html`<span class="badge bad">${t(`alert_${a}`)} ${n}</span> `)}</p>`}
    </section>
    <section class="panel" aria-labelledby="live-h">
      <h2 id="live-h">${t('liveTitle')} · ${day.date}</h2>
      <table class="livetable">
        <thead><tr><th scope="col">${t('window')}</th><th scope="col">${t('order')}</th><th scope="col">${t('technician')}</th>
          <th scope="col">${t('orderStatus')}</th><th scope="col">${t('step')}</th><th scope="col">${t('arrival')}</th>
          <th scope="col">${t('lateNotice')}</th><th scope="col">${t('alertsTitle')}</th></tr></thead>
        <tbody>${day.visits.map((entry) => html`<${Row} key=${entry.work_order.id} entry=${entry} technician=${techs[entry.technician_id]} />`)}</tbody>
      </table>
    </section>
    <section class="panel" aria-labelledby="techs-h">
      <h2 id="techs-h">${t('technicians')}</h2>
      <ul>${day.technicians.map((tech) => html`<li>${tech.name} (${tech.employee_no || '—'}) · ${t('lastSync')}: ${since(tech.last_sync_at, day.server_time)}</li>`)}</ul>
    </section>
  </div>`;
}
