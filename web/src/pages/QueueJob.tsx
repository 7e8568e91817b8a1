import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../api.ts';
import { parseEnv } from '../format.ts';
import { go } from '../hooks.ts';
import type { Job } from '../types.ts';

/** Queues one job (POST /v1/jobs) and opens it. */
export function QueueJob({ worker: initialWorker = '' }: { worker?: string }) {
  const [worker, setWorker] = useState(initialWorker);
  const [stdin, setStdin] = useState('');
  const [env, setEnv] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      const job = await api<Job>('POST', '/v1/jobs', {
        worker: worker.trim(),
        ...(stdin ? { stdin } : {}),
        ...(env.trim() ? { env: parseEnv(env) } : {}),
      });
      go(['jobs', job.id]);
    } catch (err) {
      setError(err instanceof ApiError ? `${err.message}` : String(err));
    }
  };
  return (
    <details className="queue">
      <summary>Queue a job</summary>
      <form onSubmit={submit}>
        <label>
          Worker
          <input name="worker" required value={worker} onChange={(e) => setWorker(e.target.value)} />
        </label>
        <label>
          Stdin
          <textarea name="stdin" rows={3} value={stdin} onChange={(e) => setStdin(e.target.value)} />
        </label>
        <label>
          Env (one NAME=value a line)
          <textarea name="env" rows={2} value={env} onChange={(e) => setEnv(e.target.value)} />
        </label>
        <button type="submit">Queue</button>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </details>
  );
}
