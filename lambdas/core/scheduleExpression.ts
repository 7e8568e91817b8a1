import { CronExpressionParser } from 'cron-parser';

/**
 * Schedule expressions in EventBridge Scheduler's syntax, so the same text works on AWS and
 * locally: `rate(5 minutes)` or `cron(minutes hours day-of-month month day-of-week year)` with
 * `?` in one of the day fields and day-of-week 1-7 = SUN-SAT.
 */
export type ScheduleExpression =
  | { kind: 'rate'; seconds: number }
  | { kind: 'cron'; standard: string /* five-field cron for cron-parser */ };

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_SECONDS: Record<string, number> = { minute: 60, hour: 3600, day: 86400 };

/** Parses the expression, or returns a message saying what is wrong with it. */
export function parseScheduleExpression(text: string): ScheduleExpression | string {
  const rate = RATE.exec(text.trim());
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2]!.replace(/s$/, '');
    if (n < 1) return 'rate must be at least 1';
    if ((n === 1) !== (rate[2] === unit))
      return `write "rate(1 ${unit})" or "rate(${Math.max(n, 2)} ${unit}s)"`;
    return { kind: 'rate', seconds: n * UNIT_SECONDS[unit]! };
  }
  const cron = /^cron\((.*)\)$/.exec(text.trim());
  if (!cron)
    return 'must be rate(N minutes|hours|days) or cron(min hour day-of-month month day-of-week year)';
  const fields = cron[1]!.trim().split(/\s+/);
  if (fields.length !== 6) return 'cron takes six fields: minutes hours day-of-month month day-of-week year';
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) return 'cron needs "?" in exactly one of day-of-month and day-of-week';
  if (year !== '*') return 'only "*" is supported in the year field';
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

/** EventBridge numbers days 1-7 from Sunday; classic cron 0-6. Names are the same in both. */
function awsDayOfWeek(field: string): string {
  return field.replace(/\d+/g, (d) => String(Number(d) - 1));
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
