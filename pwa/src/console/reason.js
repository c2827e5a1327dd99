// What went wrong with a request, in words: the API's message and the fields at fault (one place
// for every console screen).
import { t } from '../i18n.js';

/** Return a refusal or failure as the person at the console should read it. */
export function reasonOf(r) {
  if (r.status === 0) return t('offline');
  if (r.body?.code === 'slot_taken') return t('slotTaken');
  const fields = r.body?.errors?.json ? Object.keys(r.body.errors.json).join(', ') : '';
  return [r.body?.message, fields].filter(Boolean).join(' — ') || `HTTP ${r.status}`;
}
