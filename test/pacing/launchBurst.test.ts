import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simulateBurst } from '../../bench/sim/simulateBurst.ts';
import { LaunchPacer } from '../../lambdas/pacing/LaunchPacer.ts';
import { retryDelaySeconds, withRetryBackoff } from '../../lambdas/pacing/retryBackoff.ts';
import { VirtualTime } from '../../bench/sim/VirtualTime.ts';

// The real JobService, Dispatcher, dispatcher handler and EcsTaskLauncher against a simulated
// SQS and ECS on a virtual clock (bench/sim): behaviour only here; the rates are in `npm run bench`.
describe('a burst of jobs against the account launch rate', () => {
  it('launches every job exactly once, with capacity failures along the way', async () => {
    const report = await simulateBurst({ jobs: 300, capacityFailureRate: 0.1, seed: 7 });
    assert.equal(report.capacityFailures > 0, true, 'the simulation refused some launches');
    assert.deepEqual(
      {
        launched: report.launched,
        lost: report.lost,
        unfinished: report.unfinished,
        duplicates: report.duplicates,
      },
      { launched: 300, lost: 0, unfinished: 0, duplicates: 0 },
    );
    assert.equal(report.failedJobs, 0);
  });

  it('brings a throttled message back within seconds, not after the visibility timeout', async () => {
    // The dispatchers are told twice the real quota, so ECS throttles them.
    const report = await simulateBurst({
      jobs: 300,
      pacerQuota: { ratePerSecond: 40, burst: 200 },
      capacityFailureRate: 0,
      seed: 3,
    });
    assert.ok(report.throttled > 0, 'ECS throttled some launches');
    assert.ok(
      report.firstRetryMaxSeconds < 10,
      `a throttled message came back after ${report.firstRetryMaxSeconds} s`,
    );
    assert.deepEqual(
      { lost: report.lost, duplicates: report.duplicates, launched: report.launched },
      {
        lost: 0,
        duplicates: 0,
        launched: 300,
      },
    );
  });

  it('without pacing and backoff (the dispatcher before), a throttled message waits out the visibility timeout', async () => {
    const report = await simulateBurst({ jobs: 150, paced: false, capacityFailureRate: 0, seed: 3 });
    assert.ok(report.firstRetryMaxSeconds >= 180);
  });
});

describe('the launch pacer', () => {
  it('lets the burst through at once, then one launch per 1/rate seconds', async () => {
    const time = new VirtualTime();
    const pacer = new LaunchPacer({ ratePerSecond: 4, burst: 2 }, time);
    const at: number[] = [];
    const t0 = time.now();
    const all = Promise.all(
      Array.from({ length: 4 }, () => pacer.acquire().then(() => at.push(time.now() - t0))),
    );
    await time.run(t0 + 10_000);
    await all;
    assert.deepEqual(at, [0, 0, 250, 500]);
  });

  it('tells a caller to retry later rather than wait longer than its limit', async () => {
    const time = new VirtualTime();
    const pacer = new LaunchPacer({ ratePerSecond: 1, burst: 1 }, time, 1500);
    await pacer.acquire();
    const second = pacer.acquire(); // waits 1 s
    await assert.rejects(pacer.acquire(), { name: 'RetryLaterError', reason: 'throttled' });
    await time.run(time.now() + 5000);
    await second;
  });
});

describe('retry backoff', () => {
  it('grows with the receive count, jittered, and never beyond the visibility timeout', () => {
    assert.deepEqual(
      [1, 2, 3, 8, 50].map((n) => [retryDelaySeconds(n, () => 0), retryDelaySeconds(n, () => 0.999)]),
      [
        [1, 2],
        [2, 4],
        [4, 8],
        [90, 180],
        [90, 180],
      ],
    );
  });

  it('shortens the wait of each failed record only', async () => {
    const changes: [string, number][] = [];
    const record = (id: string, receives: number) =>
      ({
        messageId: id,
        receiptHandle: `r-${id}`,
        attributes: { ApproximateReceiveCount: String(receives) },
      }) as never;
    const handler = withRetryBackoff(
      async () => ({ batchItemFailures: [{ itemIdentifier: 'b' }] }),
      { retryAfter: async (receipt, seconds) => void changes.push([receipt, seconds]) },
      () => 0,
    );
    const response = await handler({ Records: [record('a', 1), record('b', 3)] });
    assert.deepEqual(response, { batchItemFailures: [{ itemIdentifier: 'b' }] });
    assert.deepEqual(changes, [['r-b', 4]]);
  });
});
