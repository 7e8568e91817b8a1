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

  for (const [bad, why] of [
    ['rate(0 minutes)', /at least 1/],
    ['rate(1 minutes)', /rate\(1 minute\)/],
    ['cron(* * * * * *)', /"\?"/],
    ['cron(0 12 * *)', /six fields/],
    ['every day', /must be rate/],
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
