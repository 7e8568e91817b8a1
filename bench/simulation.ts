import { simulateBurst, type BurstReport } from './sim/simulateBurst.ts';
import type { Row } from './stats.ts';

const QUOTA = 20;

/** Point 1: bursts against Fargate's launch rate, the dispatcher now (paced, backoff) and before. */
export async function simulationRows(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const jobs of [1000, 10_000]) {
    const now = await simulateBurst({ jobs, seed: 1 });
    const before = await simulateBurst({ jobs, seed: 1, paced: false, maxVirtualSeconds: 6 * 3600 });
    const describe = (r: BurstReport) =>
      `${r.sustainedPerSecond}/s, wait p50 ${r.waitP50Seconds} s p99 ${r.waitP99Seconds} s, ${r.lost} lost, ${r.duplicates} dup` +
      (r.unfinished ? `, ${r.unfinished} not started after ${r.makespanSeconds} s` : '');
    rows.push({
      figure: `simulated burst of ${jobs} jobs (quota ${QUOTA}/s, burst 100, 2% capacity failures)`,
      now: describe(now),
      baseline: `before: ${describe(before)}`,
      ratio: `${((100 * now.sustainedPerSecond) / QUOTA).toFixed(1)}% of quota`,
      target: '≥ 95% of quota, 0 lost, 0 dup',
    });
  }
  const misjudged = await simulateBurst({
    jobs: 1000,
    pacerQuota: { ratePerSecond: 40, burst: 200 },
    seed: 2,
  });
  rows.push({
    figure: 'simulated 1,000 jobs, dispatchers told twice the real quota',
    now: `${misjudged.sustainedPerSecond}/s, ${misjudged.throttled} throttled, first retry ≤ ${misjudged.firstRetryMaxSeconds} s`,
    baseline: 'before: a throttled message waited 180 s',
    ratio: `${((100 * misjudged.sustainedPerSecond) / QUOTA).toFixed(1)}% of quota`,
    target: 'retry within seconds',
  });
  return rows;
}
