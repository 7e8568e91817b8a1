import { useEffect, useState, type ReactNode } from 'react';
import { api, apiFeatures, ApiError, type Features } from '../api.ts';
import { Facts, Problem, Status, Table } from '../components.tsx';
import { age, isFinal, runTime, when } from '../format.ts';
import { go, href, useNow, usePoll } from '../hooks.ts';
import type { Job } from '../types.ts';
import { LogView } from './LogView.tsx';

/** One job: its state (polled until it is final), attempts, env names, output, and what can be done to it. */
export function JobPage({ id }: { id: string }) {
  const now = useNow();
  const [final, setFinal] = useState(false);
  const job = usePoll(
    () => api<Job>('GET', `/v1/jobs/${encodeURIComponent(id)}`),
    [id],
    final ? 10_000 : 1500,
  );
  const [chosenAttempt, setChosenAttempt] = useState<number | undefined>(undefined);
  const [features, setFeatures] = useState<Features>({ rerun: false });
  const [actionError, setActionError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    void apiFeatures().then(setFeatures);
  }, []);
  useEffect(() => {
    setChosenAttempt(undefined);
    setFinal(false);
  }, [id]);
  const j = job.data;
  useEffect(() => {
    if (j && isFinal(j.status)) setFinal(true);
  }, [j]);

  if (job.error !== undefined && !j) return <Problem error={job.error} what="this job" />;
  if (!j) return <p className="loading">Loading…</p>;

  const act = async (action: 'cancel' | 'rerun') => {
    setBusy(true);
    setActionError(undefined);
    try {
      const result = await api<Job>('POST', `/v1/jobs/${encodeURIComponent(j.id)}/${action}`);
      if (action === 'rerun' && result.id !== j.id) go(['jobs', result.id]);
      else job.reload();
    } catch (err) {
      setActionError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  // Follows the newest attempt unless the reader picked one.
  const attempt = chosenAttempt ?? Math.max(j.attempt, 1);
  const envNames = Object.keys(j.env);

  return (
    <article aria-labelledby="job-title">
      <p className="crumbs">
        <a href={href(['jobs'])}>Jobs</a> › <a href={href(['jobs'], { worker: j.worker })}>{j.worker}</a>
      </p>
      <h1 id="job-title">
        Job <span className="mono">{j.id}</span> <Status status={j.status} />
      </h1>
      <div className="actions">
        {!isFinal(j.status) && (
          <button type="button" disabled={busy || j.cancelRequested} onClick={() => void act('cancel')}>
            {j.cancelRequested ? 'Cancelling…' : 'Cancel job'}
          </button>
        )}
        {features.rerun && isFinal(j.status) && (
          <button type="button" disabled={busy} onClick={() => void act('rerun')}>
            Re-run
          </button>
        )}
        {actionError && (
          <span className="error" role="alert">
            {actionError}
          </span>
        )}
      </div>
      <Facts
        items={[
          ['Worker', <a href={href(['workers', j.worker])}>{j.worker}</a>],
          ['Exit code', j.exitCode ?? '–'],
          ['Error', j.error ?? '–'],
          ['Attempt', `${j.attempt} of ${j.maxAttempts}`],
          ['Created', `${when(j.createdAt)} (${age(j.createdAt, now)} ago)`],
          ['Runs at', when(j.runAt)],
          ['Started', when(j.startedAt)],
          ['Finished', when(j.finishedAt)],
          ['Duration', runTime(j.startedAt, j.finishedAt, now)],
          ['Timeout', `${j.timeoutSeconds} s`],
          ['Stdin', `${j.stdinBytes} bytes`],
          [
            'Env',
            envNames.length ? (
              <ul className="names" aria-label="Env names (values are not shown)">
                {envNames.map((n) => (
                  <li key={n} className="mono">
                    {n}
                  </li>
                ))}
              </ul>
            ) : (
              'none'
            ),
          ],
          ...(j.array ? [['Children', arrayCounts(j.array)] as [string, string]] : []),
          ...(j.parent
            ? [
                [
                  'Array',
                  <>
                    <a href={href(['jobs', j.parent])}>{j.parent}</a> (index {j.arrayIndex})
                  </>,
                ] as [string, ReactNode],
              ]
            : []),
        ]}
      />
      <h2>Attempts</h2>
      {j.attempts.length === 0 ? (
        <p>No attempt has started yet.</p>
      ) : (
        <Table
          label="Attempts"
          head={['#', 'Status', 'Started', 'Finished', 'Duration', 'Exit code', 'Reason', '']}
        >
          {j.attempts.map((a) => (
            <tr key={a.attempt} aria-current={a.attempt === attempt ? 'true' : undefined}>
              <td>{a.attempt}</td>
              <td>
                <Status status={a.status} />
              </td>
              <td>{when(a.startedAt)}</td>
              <td>{when(a.finishedAt)}</td>
              <td>{runTime(a.startedAt, a.finishedAt, now)}</td>
              <td>{a.exitCode ?? '–'}</td>
              <td>{a.reason ?? '–'}</td>
              <td>
                <button
                  type="button"
                  disabled={a.attempt === attempt}
                  onClick={() => setChosenAttempt(a.attempt)}
                >
                  Show output
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
      <h2>Output{j.attempts.length > 1 ? ` of attempt ${attempt}` : ''}</h2>
      <LogView key={`${j.id}:${attempt}`} jobId={j.id} attempt={attempt} />
    </article>
  );
}

/** An array parent's children: `100: 97 succeeded, 2 running, 1 failed` (states no child is in left out). */
function arrayCounts(array: NonNullable<Job['array']>): string {
  const counts = Object.entries(array.counts ?? {}).filter(([, n]) => n > 0);
  return `${array.size}${counts.length ? ': ' : ''}${counts.map(([s, n]) => `${n} ${s}`).join(', ')}`;
}
