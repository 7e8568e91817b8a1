import { useState } from 'react';
import { api, ApiError } from '../api.ts';
import { Facts, Problem, Table } from '../components.tsx';
import { when } from '../format.ts';
import { href, usePoll } from '../hooks.ts';
import type { Schedule } from '../types.ts';

/** Schedules: the list, or one of them; each can be paused and resumed. */
export function SchedulesPage({ name }: { name?: string }) {
  const list = usePoll(() => api<{ schedules: Schedule[] }>('GET', '/v1/schedules'), [], 5000);
  const [error, setError] = useState<string | undefined>(undefined);
  const toggle = async (s: Schedule) => {
    setError(undefined);
    try {
      await api(
        'POST',
        `/v1/schedules/${encodeURIComponent(s.name)}/${s.state === 'paused' ? 'resume' : 'pause'}`,
      );
      list.reload();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  const toggleButton = (s: Schedule) => (
    <button
      type="button"
      onClick={() => void toggle(s)}
      aria-label={`${s.state === 'paused' ? 'Resume' : 'Pause'} ${s.name}`}
    >
      {s.state === 'paused' ? 'Resume' : 'Pause'}
    </button>
  );
  const lastJob = (s: Schedule) =>
    s.lastJobId ? (
      <a className="mono" href={href(['jobs', s.lastJobId])}>
        {when(s.lastRunAt)}
      </a>
    ) : (
      '–'
    );
  const one = name ? list.data?.schedules.find((s) => s.name === name) : undefined;
  return (
    <section aria-labelledby="schedules-title">
      {name && (
        <p className="crumbs">
          <a href={href(['schedules'])}>Schedules</a>
        </p>
      )}
      <h1 id="schedules-title">{name ? `Schedule ${name}` : 'Schedules'}</h1>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {list.error !== undefined && <Problem error={list.error} what="schedules" />}
      {name && list.data && !one && <p className="error">There is no schedule named {name}.</p>}
      {one && (
        <>
          <p className="actions">{toggleButton(one)}</p>
          <Facts
            items={[
              ['State', one.state],
              ['Worker', <a href={href(['jobs'], { worker: one.worker })}>{one.worker}</a>],
              ['Expression', <span className="mono">{one.expression}</span>],
              ['Time zone', one.timezone],
              ['Next run', when(one.nextRunAt)],
              ['Last run', lastJob(one)],
              [
                'Job env names',
                Object.keys((one.job.env as Record<string, string> | undefined) ?? {}).join(', ') || 'none',
              ],
              ['Created', when(one.createdAt)],
            ]}
          />
        </>
      )}
      {!name && list.data && (
        <>
          <Table
            label="Schedules"
            head={['Name', 'Worker', 'Expression', 'State', 'Next run', 'Last run', '']}
          >
            {list.data.schedules.map((s) => (
              <tr key={s.name}>
                <td>
                  <a href={href(['schedules', s.name])}>{s.name}</a>
                </td>
                <td>{s.worker}</td>
                <td className="mono">
                  {s.expression} {s.timezone !== 'UTC' ? `(${s.timezone})` : ''}
                </td>
                <td>{s.state}</td>
                <td>{when(s.nextRunAt)}</td>
                <td>{lastJob(s)}</td>
                <td>{toggleButton(s)}</td>
              </tr>
            ))}
          </Table>
          {list.data.schedules.length === 0 && <p>No schedules.</p>}
        </>
      )}
    </section>
  );
}
