import type { Job } from '../../client/RunlaterClient.ts';

type Attempt = Job['attempts'][number];

/**
 * Where an attempt's start time went, as `jobs status` shows it: each phase the runner reported,
 * in order, with how long it lasted until the next, e.g.
 * `queued 12 ms → dispatched 310 ms → pull 1.4 s → started 2.0 s → stopped`.
 * The first attempt counts from the job's creation; a retry from its own dispatch.
 */
export function phasesText(job: Job, attempt: Attempt): string | undefined {
  const p = attempt.phases;
  if (!p) return undefined;
  const marks: [string, string | undefined][] = [
    ['queued', attempt.attempt === 1 ? job.createdAt : undefined],
    ['dispatched', p.dispatchedAt],
    ['created', p.createdAt],
    ['pull', p.pullStartedAt],
    ['pulled', p.pullStoppedAt],
    ['started', p.startedAt],
    ['stopping', p.stoppingAt],
    ['stopped', p.stoppedAt],
  ];
  const known = marks.filter((m): m is [string, string] => m[1] !== undefined);
  if (known.length === 0) return undefined;
  return known
    .map(([name, at], i) => {
      const next = known[i + 1];
      return next ? `${name} ${duration(Date.parse(next[1]) - Date.parse(at))}` : name;
    })
    .join(' → ');
}

/** `12 ms`, `1.4 s`, `3m 05s`: short, and exact enough to see where the time went. */
export function duration(ms: number): string {
  const t = Math.max(0, ms);
  if (t < 1000) return `${Math.round(t)} ms`;
  if (t < 60_000) return `${(t / 1000).toFixed(1)} s`;
  const s = Math.round(t / 1000);
  return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
}

/** One field per attempt that has phases: `phases`, or `phases #2` when there were several. */
export function phaseFields(job: Job): [string, string][] {
  const many = job.attempts.length > 1;
  return job.attempts.flatMap((a): [string, string][] => {
    const text = phasesText(job, a);
    return text ? [[many ? `phases #${a.attempt}` : 'phases', text]] : [];
  });
}
