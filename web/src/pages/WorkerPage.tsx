import type { Access } from '../App.tsx';
import { api } from '../api.ts';
import { Facts, Problem } from '../components.tsx';
import { when } from '../format.ts';
import { href, usePoll } from '../hooks.ts';
import type { Worker } from '../types.ts';

/** One worker's settings. Env values are settings an admin may see, but only names are shown here. */
export function WorkerPage({ name, access }: { name: string; access: Access }) {
  const worker = usePoll(() => api<Worker>('GET', `/v1/workers/${encodeURIComponent(name)}`), [name], 0);
  const w = worker.data;
  return (
    <article aria-labelledby="worker-title">
      <p className="crumbs">
        <a href={href(['workers'])}>Workers</a>
      </p>
      <h1 id="worker-title">Worker {name}</h1>
      {worker.error !== undefined && <Problem error={worker.error} what="this worker" />}
      {w && (
        <>
          <p className="actions">
            {access === 'admin' && (
              <a className="button" href={href(['workers', w.name, 'edit'])}>
                Edit
              </a>
            )}
            <a className="button" href={href(['jobs'], { worker: w.name })}>
              Its jobs
            </a>
          </p>
          <Facts
            items={[
              ['Image', <span className="mono">{w.image}</span>],
              [
                'Command',
                w.command ? <span className="mono">{JSON.stringify(w.command)}</span> : "the image's own",
              ],
              ['CPU', `${w.cpu} units`],
              ['Memory', `${w.memory} MiB`],
              ['Timeout', `${w.timeoutSeconds} s`],
              [
                'Retry',
                `${w.retry.maxAttempts} attempt(s), backoff ${Array.isArray(w.retry.backoff) ? w.retry.backoff.join(', ') + ' s' : w.retry.backoff}`,
              ],
              ['Env names', Object.keys(w.env).join(', ') || 'none'],
              ['Task role', w.taskRoleArn ?? 'none'],
              ['Revision', w.revision],
              ['Created', when(w.createdAt)],
              ['Updated', when(w.updatedAt)],
            ]}
          />
        </>
      )}
    </article>
  );
}
