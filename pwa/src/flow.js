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

// What each step must have recorded, besides its checklist, before it completes (as the server checks).
export const STEP_RECORDS = {
  call: (v) => (v.calls || []).some((c) => c.outcome === 'reached'),
  arrive: (v) => !!v.checkin,
  communicate: (v) => !!v.communicate,
  operate: (v) => !!v.operate,
  evaluate: (v) => !!v.evaluate,
  help: (v) => !!v.help,
};

/** Tell whether the step's own record (a reached call, the check-in, the evaluation...) exists. */
export function hasStepRecord(stepId, visit) {
  const rule = STEP_RECORDS[stepId];
  return !rule || rule(visit || {});
}

/** Tell whether a step may be completed: every required item answered and its record made (the server's rule). */
export function canComplete(step, answers = {}, visit = null) {
  return missingItems(step, answers).length === 0 && (visit === null || hasStepRecord(step.id, visit));
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

/** Return the placeholder values of a visit's scripts for a call now. */
export function scriptValues({ customer, user, greeting, lang }) {
  return {
    customer: customerAddress(customer, lang),
    branch: user?.branch || '',
    technician: user?.name || '',
    employee_no: user?.employee_no || '',
    greeting: greeting ? greeting[lang] || greeting.zh : '',
  };
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
