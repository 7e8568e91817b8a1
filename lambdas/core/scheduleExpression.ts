import { Cron } from 'croner';

/**
 * Schedule expressions in EventBridge Scheduler's syntax, so the same text works on AWS and
 * locally: `rate(5 minutes)` or `cron(minutes hours day-of-month month day-of-week year)` with
 * `?` in one of the day fields and day-of-week 1-7 = SUN-SAT.
 */
export type ScheduleExpression =
  | { kind: 'rate'; seconds: number }
  | { kind: 'cron'; pattern: string /* five-field cron for croner, day-of-week 1-7 from Sunday */ };

const RATE = /^rate\((\d{1,9}) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_SECONDS: Record<string, number> = { minute: 60, hour: 3600, day: 86400 };
/** A year: longer rates are surely mistakes, and far-off fire times would pass what a Date holds. */
const MAX_RATE_SECONDS = 365 * 86400;

/**
 * Parses the expression, or returns a message saying what is wrong with it. Everything is checked
 * here, once, when the schedule is made: a stored schedule must always have a next fire time.
 */
export function parseScheduleExpression(text: string): ScheduleExpression | string {
  const parsed = parse(text);
  if (typeof parsed === 'string') return parsed;
  try {
    nextFireTime(parsed, 'UTC', new Date(), new Date());
  } catch {
    return 'the expression never fires (no such date)';
  }
  return parsed;
}

function parse(text: string): ScheduleExpression | string {
  const rate = RATE.exec(text.trim());
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2]!.replace(/s$/, '');
    if (n < 1) return 'rate must be at least 1';
    if ((n === 1) !== (rate[2] === unit))
      return `write "rate(1 ${unit})" or "rate(${Math.max(n, 2)} ${unit}s)"`;
    const seconds = n * UNIT_SECONDS[unit]!;
    if (seconds > MAX_RATE_SECONDS) return 'rate must be at most 365 days';
    return { kind: 'rate', seconds };
  }
  const cron = /^cron\((.*)\)$/.exec(text.trim());
  if (!cron)
    return 'must be rate(N minutes|hours|days) or cron(min hour day-of-month month day-of-week year)';
  const fields = cron[1]!.trim().split(/\s+/);
  if (fields.length !== 6) return 'cron takes six fields: minutes hours day-of-month month day-of-week year';
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) return 'cron needs "?" in exactly one of day-of-month and day-of-week';
  if (year !== '*') return 'only "*" is supported in the year field';
  const pattern: string[] = [];
  for (const [field, value] of [
    ['minutes', min],
    ['hours', hour],
    ['day-of-month', dom],
    ['month', month],
    ['day-of-week', dow],
  ] as const) {
    // `?` is "any": needed in one day field (the other says which days), taken in all.
    const read = value === '?' ? { pattern: '*' } : readField(FIELDS[field], value);
    if (read.problem) return `cron ${field} "${value}": ${read.problem}`;
    pattern.push(read.pattern!);
  }
  return { kind: 'cron', pattern: pattern.join(' ') };
}

interface FieldRule {
  min: number;
  max: number;
  names?: readonly string[];
  /** Items other than numbers, ranges and steps that EventBridge allows in this field. */
  special?: RegExp;
  /** Why a lone `L` is refused here, where it is. */
  loneL?: string;
}

const FIELDS: Record<'minutes' | 'hours' | 'day-of-month' | 'month' | 'day-of-week', FieldRule> = {
  minutes: { min: 0, max: 59 },
  hours: { min: 0, max: 23 },
  'day-of-month': { min: 1, max: 31, special: /^L$/ },
  month: {
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  'day-of-week': {
    min: 1,
    max: 7,
    names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
    special: /^(?:[1-7]L|[1-7]#[1-5])$/,
    loneL: '"L" needs a day before it here: 6L is the last Friday of the month',
  },
};

/**
 * Reads one cron field by EventBridge's rules: comma-separated items, each `*`, a value or a range,
 * optionally with `/step`, values in the field's range (or its names). Whatever else a cron library
 * would take (`H`, `W`, day-of-week 0, ...) is refused, so the text means the same on AWS.
 *
 * The pattern it returns is in numbers, in the subset of croner's syntax whose meaning is not in
 * doubt: `a-b/step` for EventBridge's `a/step` (from a to the field's end), `n#L` for `nL`.
 */
function readField(rule: FieldRule, field: string): { pattern?: string; problem?: string } {
  const value = (v: string): number | undefined => {
    const named = rule.names?.indexOf(v.toUpperCase()) ?? -1;
    if (named >= 0) return rule.min + named;
    return /^\d{1,2}$/.test(v) ? Number(v) : undefined;
  };
  const items: string[] = [];
  // What the items select: a field that names a value twice is refused, as it always was here.
  const seen = new Set<string>();
  const once = (key: string) => (seen.has(key) ? `${key} is in the field twice` : void seen.add(key));
  const list = field.split(',');
  for (const item of list) {
    if (item === 'L' && rule.loneL) return { problem: rule.loneL };
    if (rule.special?.test(item)) {
      if (item.includes('#') && list.length > 1)
        return { problem: `"${item}" must be the field's only item` };
      const problem = once(item);
      if (problem) return { problem };
      items.push(item.replace(/^(\d)L$/, '$1#L'));
      continue;
    }
    const m = /^(\*|[^-/]+(?:-[^-/]+)?)(?:\/(\d{1,2}))?$/.exec(item);
    if (!m) return { problem: `"${item}" is not a value, range or step` };
    const step = m[2] === undefined ? undefined : Number(m[2]);
    if (step !== undefined && step < 1) return { problem: 'a step must be at least 1' };
    const ends: number[] = [];
    for (const v of m[1] === '*' ? [String(rule.min), String(rule.max)] : m[1]!.split('-')) {
      const n = value(v);
      if (n === undefined) return { problem: `"${v}" is not a number${rule.names ? ' or a name' : ''}` };
      if (n < rule.min || n > rule.max) return { problem: `${v} is outside ${rule.min}-${rule.max}` };
      ends.push(n);
    }
    const from = ends[0]!;
    // `a/step` runs from a to the field's end; a lone value is a range of one.
    const to = ends[1] ?? (step === undefined ? from : rule.max);
    if (from > to) return { problem: `the range ${m[1]} runs backwards` };
    for (let n = from; n <= to; n += step ?? 1) {
      const problem = once(String(n));
      if (problem) return { problem };
    }
    if (from === to) items.push(String(from));
    else if (step === undefined) items.push(`${from}-${to}`);
    // A step longer than its range leaves only the range's start (croner refuses such steps).
    else items.push(step > to - from ? String(from) : `${from}-${to}/${step}`);
  }
  return { pattern: items.join(',') };
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * The first fire time strictly after `after`. Rates count from `anchor` (the schedule's creation,
 * as EventBridge Scheduler does); crons follow the wall clock of `timeZone`, and across daylight
 * saving changes as EventBridge Scheduler does: a time the clock skips is skipped, a time it
 * shows twice fires once, at its first occurrence.
 */
export function nextFireTime(expr: ScheduleExpression, timeZone: string, after: Date, anchor: Date): Date {
  if (expr.kind === 'rate') {
    const period = expr.seconds * 1000;
    const elapsed = after.getTime() - anchor.getTime();
    const n = elapsed < 0 ? 1 : Math.floor(elapsed / period) + 1;
    return new Date(anchor.getTime() + n * period);
  }
  // alternativeWeekdays: day-of-week 1-7 from Sunday, as EventBridge numbers them.
  const cron = new Cron(expr.pattern, { timezone: timeZone, alternativeWeekdays: true });
  let next = cron.nextRun(after);
  // croner runs a time in a skipped hour at the hour's end (it then does not match the pattern),
  // and some patterns twice in a repeated hour: each such run is passed over. A repeated hour holds
  // at most 120 runs (Antarctica/Troll goes back two hours), so the bound is never what stops it.
  for (let i = 0; next && i < 200 && (!cron.match(next) || isRepeated(next, timeZone)); i++)
    next = cron.nextRun(next);
  if (!next) throw new Error(`cron ${expr.pattern} never fires`);
  return next;
}

const wallClocks = new Map<string, Intl.DateTimeFormat>();

/** True when the wall clock of `timeZone` showed `at`'s time earlier too (the clock went back). */
function isRepeated(at: Date, timeZone: string): boolean {
  let format = wallClocks.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'short', timeStyle: 'short' });
    wallClocks.set(timeZone, format);
  }
  const shown = format.format(at);
  // Clocks go back by 30 minutes (Lord Howe Island), an hour, or two hours (Troll).
  return [30, 60, 120].some((minutes) => format.format(new Date(at.getTime() - minutes * 60_000)) === shown);
}
