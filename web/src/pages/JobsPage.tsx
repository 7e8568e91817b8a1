import { useState } from 'react';
import type { Access } from '../App.tsx';
import { api, query } from '../api.ts';
import { Problem, Status, Table } from '../components.tsx';
import { age, ALL_STATUSES, runTime } from '../format.ts';
import { go, href, useNow, usePoll } from '../hooks.ts';
import type { JobList, Worker } from '../types.ts';
import { QueueJob } from './QueueJob.tsx';

const PAGE_SIZE = 25;

/** The jobs list, newest first: polled, so new jobs and status changes show without reloading. */
export function JobsPage({ params, access }: { params: URLSearchParams; access: Access }) {
  const worker = params.get('worker') ?? '';
  const status = params.get('status') ?? '';
  // Cursors of the pages seen so far: the list API pages forward only, "previous" pops one.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [filterKey, setFilterKey] = useState(`${worker}|${status}`);
  if (filterKey !== `${worker}|${status}`) {
    setFilterKey(`${worker}|${status}`);
    setCursors([undefined]);
  }
  const cursor = cursors[cursors.length - 1];
  const now = useNow();
  const list = usePoll(
    () => api<JobList>('GET', `/v1/jobs${query({ worker, status, limit: PAGE_SIZE, cursor })}`),
    [worker, status, cursor],
  );
  const workers = usePoll(
    () =>
      access === 'admin'
        ? api<{ workers: Worker[] }>('GET', '/v1/workers')
        : Promise.resolve({ workers: [] }),
    [access],
    0,
  );
  const setFilter = (next: { worker?: string; status?: string }) =>
    go(['jobs'], { worker, status, ...next }, true);

  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Worker
          <input
            name="worker"
            list="worker-names"
            value={worker}
            placeholder="any"
            onChange={(e) => setFilter({ worker: e.target.value.trim() })}
          />
          <datalist id="worker-names">
            {workers.data?.workers.map((w) => (
              <option key={w.name} value={w.name} />
            ))}
          </datalist>
        </label>
        <label>
          Status
          <select name="status" value={status} onChange={(e) => setFilter({ status: e.target.value })}>
            <option value="">any</option>
            {ALL_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
      </form>
      <QueueJob worker={worker} />
      {list.error !== undefined && <Problem error={list.error} what="jobs" />}
      {list.data === undefined && list.error === undefined && <p className="loading">Loading…</p>}
      {list.data && (
        <>
          <Table label="Jobs" head={['Job', 'Worker', 'Status', 'Attempt', 'Age', 'Duration', 'Exit code']}>
            {list.data.jobs.map((job) => (
              <tr key={job.id} data-job-id={job.id}>
                <td>
                  <a className="mono" href={href(['jobs', job.id])}>
                    {job.id}
                  </a>
                </td>
                <td>
                  <a href={href(['jobs'], { worker: job.worker, status })}>{job.worker}</a>
                </td>
                <td>
                  <Status status={job.status} />
                </td>
                <td>
                  {job.attempt}/{job.maxAttempts}
                </td>
                <td title={job.createdAt}>{age(job.createdAt, now)}</td>
                <td>{runTime(job.startedAt, job.finishedAt, now)}</td>
                <td>{job.exitCode ?? '–'}</td>
              </tr>
            ))}
          </Table>
          {list.data.jobs.length === 0 && <p>No jobs{worker || status ? ' match these filters' : ' yet'}.</p>}
          <nav className="pager" aria-label="Pages">
            <button
              type="button"
              disabled={cursors.length === 1}
              onClick={() => setCursors(cursors.slice(0, -1))}
            >
              ← Newer
            </button>
            <span>Page {cursors.length}</span>
            <button
              type="button"
              disabled={!list.data.nextCursor}
              onClick={() => setCursors([...cursors, list.data?.nextCursor])}
            >
              Older →
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
