// Rules read from a flow definition: when an answer counts, when a step is complete, script wording.

/** Tell whether a checklist answer counts as answered for an item of this kind. */
export function isAnswered(item, value) {
  switch (item.kind) {
    case 'check':
      return value === true;
    case 'text':
      return typeof value === 'string' && value.trim() !== '';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'choice':
      return (item.choices || []).some((c) => c.id === value);
    case 'photo':
      return typeof value === 'string' && value !== '';
    default:
      return false;
  }
}

/** List the required items of a step that are not answered yet. */
export function missingItems(step, answers = {}) {
  return (step.checklist || []).filter((item) => item.required && !isAnswered(item, answers[item.id]));
}

/**
 * Return the unanswered calls that let the call step complete without reaching the customer
 * (the flow's `unanswered_calls_before_door` of its `unanswered_call_outcomes`, as the server
 * checks), or null while a call reached the customer or too few went unanswered.
 */
export function doorWithoutCall(visit, rules) {
  const calls = visit?.calls || [];
  if (!rules?.unanswered_calls_before_door || calls.some((c) => c.outcome === 'reached')) return null;
  const unanswered = calls.filter((c) => (rules.unanswered_call_outcomes || []).includes(c.outcome));
  return unanswered.length >= rules.unanswered_calls_before_door ? unanswered : null;
}

// What each step must have recorded, besides its checklist, before it completes (as the server checks).
export const STEP_RECORDS = {
  call: (v, rules) => (v.calls || []).some((c) => c.outcome === 'reached') || !!doorWithoutCall(v, rules),
  arrive: (v) => !!v.checkin,
  communicate: (v) => !!v.communicate,
  // The work record signed by the technician (a record saved again unsigned is signed again).
  operate: (v) => !!v.operate?.technician_signature_attachment_id,
  evaluate: (v) => !!v.evaluate,
  help: (v) => !!v.help,
};

/** Tell whether the step's own record (a reached call, the check-in, the evaluation...) exists. */
export function hasStepRecord(stepId, visit, rules = null) {
  const rule = STEP_RECORDS[stepId];
  return !rule || rule(visit || {}, rules);
}

/**
 * List the required items of a step still to answer before it completes: none for a call step
 * whose customer never answered (no conversation took place; the server asks none either).
 */
export function itemsToAnswer(step, answers = {}, visit = null, rules = null) {
  return step.id === 'call' && doorWithoutCall(visit, rules) ? [] : missingItems(step, answers);
}

/** Tell whether a step may be completed: every required item answered and its record made (the server's rule). */
export function canComplete(step, answers = {}, visit = null, rules = null) {
  return itemsToAnswer(step, answers, visit, rules).length === 0 && (visit === null || hasStepRecord(step.id, visit, rules));
}

// What the customer is asked in the evaluation (the Feedback Form's rows).
export const RATINGS = ['overall', 'punctuality', 'attitude', 'professionalism', 'tidiness'];
export const MOMENTS = ['call', 'arrival', 'communication', 'operation'];

/**
 * List what the evaluation still lacks, in the order the form asks it: each unrated rating, each
 * unscored moment of truth, then the signature (or the reason, when the customer declined).
 * Each gap is {kind: 'rating' | 'mot' | 'signature' | 'reason', id}.
 */
export function evaluationGaps({ ratings = {}, mot = {}, declined = false, reason = '', signed = false }) {
  // A customer who declines gives no scores: only the refusal's reason is asked for (issue 10.3).
  if (declined) return reason.trim() ? [] : [{ kind: 'reason', id: 'reason' }];
  return [
    ...RATINGS.filter((r) => !ratings[r]).map((id) => ({ kind: 'rating', id })),
    ...MOMENTS.filter((m) => mot[m] == null).map((id) => ({ kind: 'mot', id })),
    ...(declined ? (reason.trim() ? [] : [{ kind: 'reason', id: 'reason' }]) : signed ? [] : [{ kind: 'signature', id: 'signature' }]),
  ];
}

/**
 * Return a visit's local progress for the agenda card: null before anything was done, else
 * {done: bool, noAccess: bool, phoneFixed: bool, completed: n, total: n, current: step or null, index: 1-based}.
 */
export function visitProgress(flow, local) {
  if (!flow || !local) return null;
  const started = local.completed.length || local.calls?.length || local.checkin || local.knocks?.length || local.done;
  if (!started) return null;
  const current = currentStep(flow, local.completed);
  return {
    done: !!local.done, noAccess: !!local.no_access, phoneFixed: !!local.phone_fix,
    completed: flow.steps.filter((x) => local.completed.includes(x.id)).length, total: flow.steps.length,
    current, index: current ? flow.steps.indexOf(current) + 1 : null,
  };
}

// A check-in more than this long before the window starts is probably for the wrong visit or day.
export const CHECKIN_EARLY_WARN_MINUTES = 60;

/**
 * Tell whether checking in now is far outside the booked window: {early: minutes} more than
 * CHECKIN_EARLY_WARN_MINUTES before it starts, {late: minutes} on a later day than it ended, or null.
 */
export function checkinOffWindow(appointment, now = new Date()) {
  if (!appointment) return null;
  const start = new Date(appointment.starts_at);
  const end = new Date(appointment.ends_at);
  const before = Math.round((start - now) / 60000);
  if (before > CHECKIN_EARLY_WARN_MINUTES) return { early: before };
  if (now > end && now.toDateString() !== end.toDateString()) return { late: Math.round((now - end) / 60000) };
  return null;
}

/** Sum up the outbox for a person: how many visits wait to sync, how many need attention, how many actions. */
export function outboxSummary(counts) {
  const rows = Object.values(counts);
  return {
    visits: rows.filter((c) => c.pending > 0).length,
    attention: rows.filter((c) => c.failed > 0).length,
    actions: rows.reduce((n, c) => n + c.pending, 0),
  };
}

/** Return the step's checklist item answered by this field of the step's record (`record:` in the flow), if any. */
export function linkedItem(step, record) {
  return (step.checklist || []).find((item) => item.record === record) || null;
}

/**
 * Return the checklist answers a step's record gives (items the flow links to a record field with
 * `record:`), as {item_id: value}: the question is asked once, in the tool, and both share the answer.
 */
export function answersFromRecord(step, record) {
  const out = {};
  for (const item of step?.checklist || []) {
    if (!item.record) continue;
    const value = record[item.record.split('.')[1]];
    if (item.kind === 'text') {
      if (typeof value === 'string' && value.trim()) out[item.id] = value;
    } else if (item.kind === 'choice') {
      const choice = item.choices.find((c) => (value || []).includes(c.work_kind));
      if (choice) out[item.id] = choice.id;
    } else if (item.kind === 'check') {
      out[item.id] = Array.isArray(value) ? value.length > 0 : !!value;
    }
  }
  return out;
}

/** Return the flow's step with this id. */
export function stepOf(flow, id) {
  return flow.steps.find((s) => s.id === id);
}

/** Return the first step not completed yet, or null when all are. */
export function currentStep(flow, completed = []) {
  return flow.steps.find((s) => !completed.includes(s.id)) || null;
}

const PLACEHOLDER = /\{(\w+)\}/g;
const OPTIONAL = /\[([^[\]]*)\]/g;

/**
 * Fill a script as the server does (backend/greetings/scripts.py): `{name}` is a value; `[…]` is
 * left out when a value inside it is unknown, and `[A|B]` says B when A's values are unknown. A
 * missing value never shows as a placeholder or a blank: the sentence is said without it.
 */
export function fillScript(text, values) {
  const known = (key) => values[key] != null && values[key] !== '';
  const put = (part) => part.replace(PLACEHOLDER, (m, key) => (known(key) ? String(values[key]) : ''));
  const choose = (m, group) => {
    const fits = group.split('|').find((alt) => [...alt.matchAll(PLACEHOLDER)].every(([, key]) => known(key)));
    return fits === undefined ? '' : put(fits);
  };
  return put(text.replace(OPTIONAL, choose));
}

/** Return the customer as the standard addresses them (张先生 / Mr. 张), or '' when no title is recorded. */
export function customerAddress(customer, lang = 'zh') {
  const form = customer?.surname_title;
  return form ? form[lang] || form.zh : '';
}

/**
 * Return the placeholder values of a visit's scripts: for a call now, and for the notice left at
 * the door (`cameAt`: when the technician came, HH:MM; the technician's phone to call back). The
 * server fills the notice's sealed PDF with the same values (backend/forms/builder.py).
 */
export function scriptValues({ customer, user, greeting, lang, cameAt = '' }) {
  return {
    customer: customerAddress(customer, lang),
    branch: user?.branch || '',
    technician: user?.name || '',
    employee_no: user?.employee_no || '',
    greeting: greeting ? greeting[lang] || greeting.zh : '',
    time: cameAt,
    phone: user?.phone || '',
  };
}

/** Return the clock time (HH:MM, 24-hour) of an instant in a timezone, as the forms print it. */
export function clockAt(iso, timeZone) {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}

/**
 * Return the greeting ({id, zh, en}) for a call at `now` by the agenda's rules
 * (backend/greetings/greetings.yaml): 新年好 in its season, otherwise the period of the day, both
 * read in the rules' timezone. Null before the first agenda download.
 */
export function greetingAt(rules, now = new Date()) {
  if (!rules?.time_of_day?.length) return null;
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: rules.timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(now).map((p) => [p.type, p.value]));
  const day = `${parts.year}-${parts.month}-${parts.day}`;
  const clock = `${parts.hour}:${parts.minute}`;
  const ny = rules.new_year;
  const chosen = (ny?.seasons || []).some((s) => s.from <= day && day <= s.through)
    ? ny
    : rules.time_of_day.filter((p) => p.from <= clock).pop() || rules.time_of_day[0];
  return { id: chosen.id, zh: chosen.zh, en: chosen.en };
}
