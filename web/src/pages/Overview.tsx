import { api, query } from '../api.ts';
import { Problem, Table } from '../components.tsx';
import { FINAL_STATUSES } from '../format.ts';
import { href, usePoll } from '../hooks.ts';
import type { Job, JobList } from '../types.ts';

const HOURS = 6;
const PAGE = 200;
const MAX_PAGES = 5;

interface Counts {
  hours: { start: number; counts: Record<string, number> }[];
  queued: string;
  running: string;
  capped: boolean;
}

/** Reads up to `MAX_PAGES` pages of jobs newest first, stopping at jobs created before `since`. */
async function recentJobs(since: number, status?: string): Promise<{ jobs: Job[]; capped: boolean }> {
  const jobs: Job[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const list = await api<JobList>('GET', `/v1/jobs${query({ status, limit: PAGE, cursor })}`);
    jobs.push(...list.jobs);
    cursor = list.nextCursor;
    if (!cursor || list.jobs.some((j) => Date.parse(j.createdAt) < since)) return { jobs, capped: false };
  }
  return { jobs, capped: true };
}

/**
 * Computed from the list API (there is no stats route yet): jobs finished per status in each of the
 * last hours, among jobs created in the last day, and the jobs queued and running now.
 */
async function overview(): Promise<Counts> {
  const now = Date.now();
  const hourNow = Math.floor(now / 3_600_000) * 3_600_000;
  const hours = Array.from({ length: HOURS }, (_, i) => ({
    start: hourNow - i * 3_600_000,
    counts: Object.fromEntries(FINAL_STATUSES.map((s) => [s, 0])) as Record<string, number>,
  }));
  const [recent, queued, starting, running] = await Promise.all([
    recentJobs(now - 24 * 3_600_000),
    recentJobs(0, 'queued'),
    recentJobs(0, 'starting'),
    recentJobs(0, 'running'),
  ]);
  for (const job of recent.jobs) {
    if (!job.finishedAt || !(FINAL_STATUSES as readonly string[]).includes(job.status)) continue;
    const hour = hours.find((h) => Date.parse(job.finishedAt!) >= h.start);
    if (hour) hour.counts[job.status]! += 1;
  }
  const count = (r: { jobs: Job[]; capped: boolean }, more = false) =>
    `${r.jobs.length}${r.capped || more ? '+' : ''}`;
  return {
    hours,
    queued: count(queued),
    running:
      String(starting.jobs.length + running.jobs.length) + (starting.capped || running.capped ? '+' : ''),
    capped: recent.capped,
  };
}

export function Overview() {
  const data = usePoll(overview, [], 5000);
  const o = data.data;
  const max = Math.max(1, ...(o?.hours.flatMap((h) => Object.values(h.counts)) ?? []));
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      {data.error !== undefined && <Problem error={data.error} what="jobs" />}
      {o && (
        <>
          <div className="tiles">
            <a className="tile" href={href(['jobs'], { status: 'queued' })}>
              <span className="big">{o.queued}</span> queued now
            </a>
            <a className="tile" href={href(['jobs'], { status: 'running' })}>
              <span className="big">{o.running}</span> starting or running now
            </a>
          </div>
          <h2>Finished in the last {HOURS} hours</h2>
          <Table
            label="Jobs finished per hour"
            head={['Hour', ...FINAL_STATUSES.map((s) => s.replace('_', ' '))]}
          >
            {o.hours.map((h) => (
              <tr key={h.start}>
                <th scope="row">
                  {new Date(h.start).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
                </th>
                {FINAL_STATUSES.map((s) => (
                  <td key={s} className="count">
                    <span className={`n status-${s}`}>{h.counts[s]}</span>
                    <meter min={0} max={max} value={h.counts[s]} aria-hidden="true" />
                  </td>
                ))}
              </tr>
            ))}
          </Table>
          <p className="hint">
            Counted from the jobs list: jobs created in the last day
            {o.capped ? ` (the newest ${PAGE * MAX_PAGES} only)` : ''}.
          </p>
        </>
      )}
    </section>
  );
}
