import { CronExpressionParser } from 'cron-parser';

/**
 * Schedule expressions in EventBridge Scheduler's syntax, so the same text works on AWS and
 * locally: `rate(5 minutes)` or `cron(minutes hours day-of-month month day-of-week year)` with
 * `?` in one of the day fields and day-of-week 1-7 = SUN-SAT.
 */
export type ScheduleExpression =
  | { kind: 'rate'; seconds: number }
  | { kind: 'cron'; standard: string /* five-field cron for cron-parser */ };

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
  for (const [field, value] of [
    ['minutes', min],
    ['hours', hour],
    ['day-of-month', dom],
    ['month', month],
    ['day-of-week', dow],
  ] as const) {
    if (value === '?') continue;
    const problem = checkField(FIELDS[field], value);
    if (problem) return `cron ${field} "${value}": ${problem}`;
  }
  const standard = [min, hour, dom === '?' ? '*' : dom, month, dow === '?' ? '*' : awsDayOfWeek(dow)].join(
    ' ',
  );
  try {
    CronExpressionParser.parse(standard);
  } catch (err) {
    return `cron is not valid: ${(err as Error).message}`;
  }
  return { kind: 'cron', standard };
}

interface FieldRule {
  min: number;
  max: number;
  names?: readonly string[];
  /** Items other than numbers, ranges and steps that EventBridge allows in this field. */
  special?: RegExp;
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
    special: /^(?:L|[1-7]L|[1-7]#[1-5])$/,
  },
};

/**
 * Checks one cron field by EventBridge's rules: comma-separated items, each `*`, a value or a range,
 * optionally with `/step`, values in the field's range (or its names). Whatever else cron-parser
 * would take (`H`, day-of-week 0 or 8, ...) is refused, so the text means the same on AWS.
 */
function checkField(rule: FieldRule, field: string): string | undefined {
  const value = (v: string): number | undefined => {
    const named = rule.names?.indexOf(v.toUpperCase()) ?? -1;
    if (named >= 0) return rule.min + named;
    return /^\d{1,2}$/.test(v) ? Number(v) : undefined;
  };
  for (const item of field.split(',')) {
    if (rule.special?.test(item.toUpperCase())) continue;
    const m = /^(\*|[^-/]+(?:-[^-/]+)?)(?:\/(\d{1,2}))?$/.exec(item);
    if (!m) return `"${item}" is not a value, range or step`;
    if (m[2] !== undefined && Number(m[2]) < 1) return 'a step must be at least 1';
    if (m[1] === '*') continue;
    for (const v of m[1]!.split('-')) {
      const n = value(v);
      if (n === undefined) return `"${v}" is not a number${rule.names ? ' or a name' : ''}`;
      if (n < rule.min || n > rule.max) return `${v} is outside ${rule.min}-${rule.max}`;
    }
  }
  return undefined;
}

/** EventBridge numbers days 1-7 from Sunday; classic cron 0-6. Only day numbers shift, not steps or `#n`. */
function awsDayOfWeek(field: string): string {
  return field
    .split(',')
    .map((item) => {
      const [days, step] = item.split('/') as [string, string | undefined];
      const [day, nth] = days.split('#') as [string, string | undefined];
      const shifted = day.replace(/\d+/g, (d) => String(Number(d) - 1));
      return shifted + (nth !== undefined ? `#${nth}` : '') + (step !== undefined ? `/${step}` : '');
    })
    .join(',');
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
 * as EventBridge Scheduler does); crons follow the wall clock of `timeZone`.
 */
export function nextFireTime(expr: ScheduleExpression, timeZone: string, after: Date, anchor: Date): Date {
  if (expr.kind === 'rate') {
    const period = expr.seconds * 1000;
    const elapsed = after.getTime() - anchor.getTime();
    const n = elapsed < 0 ? 1 : Math.floor(elapsed / period) + 1;
    return new Date(anchor.getTime() + n * period);
  }
  return CronExpressionParser.parse(expr.standard, { currentDate: after, tz: timeZone }).next().toDate();
}
