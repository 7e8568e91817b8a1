import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DynamoScheduleStore } from '../../lambdas/adapters/dynamodb/DynamoScheduleStore.ts';
import { JobService } from '../../lambdas/core/JobService.ts';
import type { ScheduleTrigger } from '../../lambdas/core/ports.ts';
import { nextFireTime, parseScheduleExpression } from '../../lambdas/core/scheduleExpression.ts';
import { ScheduleService } from '../../lambdas/core/ScheduleService.ts';
import { CreateScheduleRequest, parseInput, type Schedule } from '../../lambdas/core/schemas.ts';
import { WorkerService } from '../../lambdas/core/WorkerService.ts';
import { coreHarness } from '../support/coreHarness.ts';

describe('schedule expressions (EventBridge Scheduler syntax)', () => {
  it('reads rates and counts them from the schedule creation', () => {
    const expr = parseScheduleExpression('rate(5 minutes)');
    assert.deepEqual(expr, { kind: 'rate', seconds: 300 });
    const anchor = new Date('2026-11-22T10:00:00Z');
    assert.equal(
      nextFireTime(expr as never, 'UTC', new Date('2026-11-22T10:07:00Z'), anchor).toISOString(),
      '2026-11-22T10:10:00.000Z',
    );
  });

  it('reads crons with day-of-week 1-7 from Sunday, in a time zone', () => {
    const expr = parseScheduleExpression('cron(30 9 ? * 2-6 *)'); // 09:30 Monday to Friday
    assert.ok(typeof expr !== 'string');
    // Sunday 22 November 2026, 12:00 UTC: the next is Monday 09:30 in Berlin = 08:30 UTC.
    const next = nextFireTime(expr, 'Europe/Berlin', new Date('2026-11-22T12:00:00Z'), new Date(0));
    assert.equal(next.toISOString(), '2026-11-23T08:30:00.000Z');
  });

  /** The next `n` fire times after `from`, as UTC ISO strings. */
  const firings = (text: string, timeZone: string, from: string, n: number) => {
    const expr = parseScheduleExpression(text);
    assert.ok(typeof expr !== 'string', String(expr));
    const times: string[] = [];
    for (let after = new Date(from); times.length < n; times.push(after.toISOString()))
      after = nextFireTime(expr, timeZone, after, new Date(0));
    return times;
  };

  it('reads EventBridge forms: a step from a value, names, the last and the nth weekday', () => {
    assert.deepEqual(firings('cron(0/20 9 * * ? *)', 'UTC', '2026-11-22T09:30:00Z', 3), [
      '2026-11-22T09:40:00.000Z',
      '2026-11-23T09:00:00.000Z',
      '2026-11-23T09:20:00.000Z',
    ]);
    // Monday 23 November 2026; the last Friday of the month is the 27th.
    assert.deepEqual(firings('cron(0 12 ? * 6L *)', 'UTC', '2026-11-22T00:00:00Z', 2), [
      '2026-11-27T12:00:00.000Z',
      '2026-12-25T12:00:00.000Z',
    ]);
    assert.deepEqual(firings('cron(0 12 ? jan,feb 2#1 *)', 'UTC', '2026-11-22T00:00:00Z', 2), [
      '2027-01-04T12:00:00.000Z',
      '2027-02-01T12:00:00.000Z',
    ]);
    assert.deepEqual(firings('cron(0 0 L * ? *)', 'UTC', '2027-01-31T00:00:00Z', 2), [
      '2027-02-28T00:00:00.000Z',
      '2027-03-31T00:00:00.000Z',
    ]);
  });

  it('steps through day-of-week 1-7 (SUN-SAT) without wrapping to Sunday', () => {
    // MON/2 is Monday, Wednesday, Friday: 2, 4, 6 in EventBridge's numbering, and no 8.
    assert.deepEqual(firings('cron(0 12 ? * MON/2 *)', 'UTC', '2026-11-22T00:00:00Z', 4), [
      '2026-11-23T12:00:00.000Z',
      '2026-11-25T12:00:00.000Z',
      '2026-11-27T12:00:00.000Z',
      '2026-11-30T12:00:00.000Z',
    ]);
  });

  describe('across daylight saving changes, as EventBridge Scheduler', () => {
    it('skips a time the clock jumps over', () => {
      // Berlin, 29 March 2026: 02:00 becomes 03:00, so there is no 02:30 that day.
      assert.deepEqual(firings('cron(30 2 * * ? *)', 'Europe/Berlin', '2026-03-28T12:00:00Z', 2), [
        '2026-03-30T00:30:00.000Z',
        '2026-03-31T00:30:00.000Z',
      ]);
    });

    it('fires a time the clock shows twice once, the first time', () => {
      // Berlin, 25 October 2026: 03:00 becomes 02:00, so 02:00-02:59 comes twice.
      assert.deepEqual(firings('cron(30 2 * * ? *)', 'Europe/Berlin', '2026-10-24T12:00:00Z', 2), [
        '2026-10-25T00:30:00.000Z',
        '2026-10-26T01:30:00.000Z',
      ]);
      assert.deepEqual(firings('cron(0/30 * * * ? *)', 'Europe/Berlin', '2026-10-25T00:10:00Z', 3), [
        '2026-10-25T00:30:00.000Z', // 02:30 summer time
        '2026-10-25T02:00:00.000Z', // 03:00 winter time: 02:00 and 02:30 again are passed over
        '2026-10-25T02:30:00.000Z',
      ]);
    });
  });

  for (const [bad, why] of [
    ['rate(0 minutes)', /at least 1/],
    ['rate(1 minutes)', /rate\(1 minute\)/],
    ['cron(* * * * * *)', /"\?"/],
    ['cron(0 12 * *)', /six fields/],
    ['every day', /must be rate/],
    ['cron(0 0 30 2 ? *)', /never fires/],
    ['cron(0 0 31 4,6,9,11 ? *)', /never fires/],
    ['cron(5-2 * * * ? *)', /minutes "5-2": the range 5-2 runs backwards/],
    ['cron(0,*/15 * * * ? *)', /minutes "0,\*\/15": 0 is in the field twice/],
    ['cron(0 0 ? * 0 *)', /day-of-week "0": 0 is outside 1-7/],
    ['cron(0 0 ? * L *)', /"L" needs a day before it/],
    ['cron(0 0 ? * 2#1,4 *)', /"2#1" must be the field's only item/],
    ['cron(0 0 15W * ? *)', /day-of-month "15W"/],
    ['cron(0 0 ? * MON 2027)', /year field/],
  ] as const) {
    it(`rejects ${bad}`, () => assert.match(String(parseScheduleExpression(bad)), why));
  }
});

describe('schedules queue one normal job per firing', () => {
  let h: Awaited<ReturnType<typeof coreHarness>>;
  let schedules: ScheduleService;
  const applied: Schedule[] = [];
  const removed: string[] = [];
  const trigger: ScheduleTrigger = {
    apply: async (s) => void applied.push(s),
    remove: async (n) => void removed.push(n),
  };

  before(async () => {
    h = await coreHarness();
    const store = new DynamoScheduleStore(h.dynamo.doc, h.dynamo.tableNames.schedules);
    const jobs = new JobService({
      ...h,
    });
    schedules = new ScheduleService({ schedules: store, workers: h.workers, trigger, jobs, clock: h.clock });
    await new WorkerService(h.workers, h.clock).create({ name: 'nightly', image: 'busybox' });
  });
  after(() => h.close());

  /** What the API does: the route's schema parses the body, then the service runs. */
  const create = async (body: unknown) => schedules.create(parseInput(CreateScheduleRequest, body));

  it('creates, fires once per scheduled time, pauses and deletes', async () => {
    const created = await create({
      name: 'every-5',
      worker: 'nightly',
      expression: 'rate(5 minutes)',
      job: { stdin: 'tick', env: { MODE: 'batch' } },
    });
    assert.equal(created.state, 'enabled');
    assert.equal(created.nextRunAt, new Date(h.clock.now().getTime() + 300_000).toISOString());
    assert.equal(applied.at(-1)?.name, 'every-5');

    const at = new Date(created.nextRunAt!);
    const first = await schedules.fire('every-5', at);
    const duplicate = await schedules.fire('every-5', at);
    assert.ok(first.jobId);
    assert.equal(duplicate.jobId, first.jobId, 'a duplicate firing queues no second job');
    const job = (await h.jobs.get(first.jobId!))!;
    assert.equal(job.worker, 'nightly');
    assert.deepEqual(job.env, { MODE: 'batch' });
    assert.deepEqual(
      h.queue.sent.filter((s) => s.message.jobId === first.jobId).map((s) => s.message.attempt),
      [1, 1],
      'the replayed firing sends its dispatch again; the dispatcher starts one attempt',
    );
    assert.equal((await schedules.get('every-5')).lastJobId, first.jobId);

    const paused = await schedules.setPaused('every-5', true);
    assert.equal(paused.nextRunAt, null);
    assert.equal(applied.at(-1)?.state, 'paused');
    assert.deepEqual(await schedules.fire('every-5', new Date(at.getTime() + 300_000)), {
      skipped: 'paused',
    });

    await schedules.delete('every-5');
    assert.deepEqual(removed, ['every-5']);
    await assert.rejects(schedules.get('every-5'), /does not exist/);
  });

  it('refuses a bad expression, an unknown zone or worker, and changes nothing', async () => {
    const before = applied.length;
    await assert.rejects(create({ name: 'x', worker: 'nightly', expression: 'daily' }), /expression/);
    await assert.rejects(
      create({ name: 'x', worker: 'nightly', expression: 'rate(1 day)', timezone: 'Mars/Olympus' }),
      /time zone/,
    );
    await assert.rejects(create({ name: 'x', worker: 'ghost', expression: 'rate(1 day)' }), /does not exist/);
    assert.equal(applied.length, before);
    assert.deepEqual(await schedules.list(), []);
  });
});
